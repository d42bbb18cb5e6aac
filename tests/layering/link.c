/* Linked with one library whole (every object of it) and only the
 * dependencies its meson.build declares: a call into a layer above, or
 * into a library it does not declare, is an undefined reference and the
 * build fails. Running it proves nothing more; it passes. */
int main(void)
{
        return 0;
}
