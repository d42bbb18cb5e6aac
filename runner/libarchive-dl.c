/* Loading libarchive on first use (see libarchive-dl.h for why). */
#include <dlfcn.h>
#include <errno.h>

#define LA_NO_REDIRECT
#include "libarchive-dl.h"

la_api la;

int la_load(err_t *e)
{
        static void *handle;
        if (handle)
                return 0;
        void *h = dlopen("libarchive.so.13", RTLD_NOW | RTLD_LOCAL);
        if (!h)
                return err_set(e, -ENOENT, "libarchive: %s", dlerror());
        la_api t;
#define LA_RESOLVE(f)                                                                              \
        *(void **)&t.f = dlsym(h, #f);                                                             \
        if (!t.f) {                                                                                \
                dlclose(h);                                                                        \
                return err_set(e, -ENOENT, "libarchive: no %s", #f);                               \
        }
        LA_FUNCS(LA_RESOLVE)
#undef LA_RESOLVE
        la = t;
        handle = h;
        return 0;
}
