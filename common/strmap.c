#include <string.h>

#include "common.h"

struct slot {
        char *key;
        void *value;
        uint64_t hash;
};

struct strmap {
        struct slot *slots;
        size_t cap, n;
        void (*free_value)(void *);
};

static uint64_t hash_str(const char *s)
{
        /* FNV-1a: fast and good enough for path names. */
        uint64_t h = 1469598103934665603ULL;
        for (; *s; s++)
                h = (h ^ (unsigned char)*s) * 1099511628211ULL;
        return h;
}

strmap *strmap_new(void)
{
        return strmap_new_with_free(NULL);
}

strmap *strmap_new_with_free(void (*free_value)(void *))
{
        strmap *m = xcalloc(1, sizeof *m);
        m->cap = 64;
        m->slots = xcalloc(m->cap, sizeof *m->slots);
        m->free_value = free_value;
        return m;
}

void strmap_free(strmap *m)
{
        if (!m)
                return;
        for (size_t i = 0; i < m->cap; i++) {
                if (m->free_value && m->slots[i].key && m->slots[i].value)
                        m->free_value(m->slots[i].value);
                free(m->slots[i].key);
        }
        free(m->slots);
        free(m);
}

static struct slot *find(const strmap *m, const char *key, uint64_t h)
{
        size_t mask = m->cap - 1;
        for (size_t i = h & mask;; i = (i + 1) & mask) {
                struct slot *s = &m->slots[i];
                if (!s->key || (s->hash == h && strcmp(s->key, key) == 0))
                        return s;
        }
}

static void grow(strmap *m)
{
        struct slot *old = m->slots;
        size_t oldcap = m->cap;
        m->cap *= 2;
        m->slots = xcalloc(m->cap, sizeof *m->slots);
        for (size_t i = 0; i < oldcap; i++)
                if (old[i].key)
                        *find(m, old[i].key, old[i].hash) = old[i];
        free(old);
}

void *strmap_put(strmap *m, const char *key, void *value)
{
        if ((m->n + 1) * 4 > m->cap * 3)
                grow(m);
        uint64_t h = hash_str(key);
        struct slot *s = find(m, key, h);
        if (s->key) {
                void *prev = s->value;
                s->value = value;
                return prev;
        }
        s->key = xstrdup(key);
        s->hash = h;
        s->value = value;
        m->n++;
        return NULL;
}

void *strmap_get(const strmap *m, const char *key)
{
        struct slot *s = find(m, key, hash_str(key));
        return s->key ? s->value : NULL;
}

bool strmap_has(const strmap *m, const char *key)
{
        return find(m, key, hash_str(key))->key;
}

size_t strmap_size(const strmap *m)
{
        return m->n;
}

bool strmap_next(const strmap *m, size_t *pos, const char **ret_key, void **ret_value)
{
        for (; *pos < m->cap; (*pos)++) {
                struct slot *s = &m->slots[*pos];
                if (s->key) {
                        (*pos)++;
                        if (ret_key)
                                *ret_key = s->key;
                        if (ret_value)
                                *ret_value = s->value;
                        return true;
                }
        }
        return false;
}
