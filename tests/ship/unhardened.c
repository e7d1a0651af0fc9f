/* A program built without any hardening (see CMakeLists.txt here): the
 * hardening check must fail on it, so that it is known to fail at all. */
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    char buf[64];
    memset(buf, 0, sizeof(buf));
    if (argc > 1)
        snprintf(buf, sizeof(buf), "%s", argv[1]);
    puts(buf);
    return 0;
}
