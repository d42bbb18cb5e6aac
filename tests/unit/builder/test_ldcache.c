#include "ldcache.h"
#include "test.h"
int main(void)
{
        CHECK_INT(ldcache_flags_for(2, 62, 0), 0x0303);
        TEST_END();
}
