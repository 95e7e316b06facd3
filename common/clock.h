/* clock.h - monotonic and wall clocks in the units the daemons use. */
#ifndef LK_CLOCK_H
#define LK_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic milliseconds; never goes back. */
static inline uint64_t lk_mono_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* Monotonic microseconds. */
static inline uint64_t lk_mono_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Wall-clock microseconds since the epoch, for timestamps people read. */
static inline uint64_t lk_wall_us(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#endif
