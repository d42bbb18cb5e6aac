#include "common.h"

int main(int argc, char **argv)
{
        log_init("mkroot");
        log_error("not built yet");
        return 125;
}
