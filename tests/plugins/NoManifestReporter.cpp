// Test "plugin" (type = nomanifest): a shared library without any manifest.
// Refused before loading: MustNotRun.h aborts if any of it runs.
#include "MustNotRun.h"
extern "C" __attribute__((visibility("default"))) int asprofTestNotAPlugin()
{
	return 42;
}
