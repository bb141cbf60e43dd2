// Test "plugin" (type = nomanifest): a shared library without any manifest.
extern "C" __attribute__((visibility("default"))) int asprofTestNotAPlugin()
{
	return 42;
}
