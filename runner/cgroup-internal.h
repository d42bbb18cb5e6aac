/* cgroup-internal: the unit tests' view of the cgroup code, every layer at
 * once: the public entry points (cgroup.h), the versions (cgroup-setup.h)
 * and below them the helpers and the test hook (cgroup-utils.h). Only the
 * tests include it; the cgroup sources include the header of their own
 * layer and those below. */
#pragma once

#include "cgroup-setup.h"
#include "cgroup-utils.h"
#include "cgroup.h"
