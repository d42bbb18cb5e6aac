/* Unaligned loads in a file's byte order, for the parsers of untrusted
 * binary files here (ELF, ld.so.cache): one copy for both. swap says the
 * file's byte order is not the host's. The caller checks first that the
 * bytes lie in the buffer (span_in). (Not "endian.h": -Ielf would shadow
 * the C library's <endian.h> for every file that includes it.) */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

static inline uint16_t load_u16(const uint8_t *p, bool swap)
{
        uint16_t v;
        memcpy(&v, p, sizeof v);
        return swap ? __builtin_bswap16(v) : v;
}

static inline uint32_t load_u32(const uint8_t *p, bool swap)
{
        uint32_t v;
        memcpy(&v, p, sizeof v);
        return swap ? __builtin_bswap32(v) : v;
}

static inline uint64_t load_u64(const uint8_t *p, bool swap)
{
        uint64_t v;
        memcpy(&v, p, sizeof v);
        return swap ? __builtin_bswap64(v) : v;
}

/* Whether [off, off + size) lies within len bytes, without overflow. */
static inline bool span_in(uint64_t len, uint64_t off, uint64_t size)
{
        return off <= len && size <= len - off;
}
