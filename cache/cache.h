/* cache: the content-addressed store mkroot and runroot share. */
#pragma once

#include "common.h"
