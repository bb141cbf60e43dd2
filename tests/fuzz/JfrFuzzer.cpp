//
// JfrFuzzer.cpp
//
// libFuzzer target for libasprof-jfr: whatever the bytes, reading them as a
// recording, collecting stacks of every kind and writing collapsed text, a
// flame graph and a pprof profile must end in success or a JfrError. Build
// and run with scripts/fuzz (clang, -fsanitize=fuzzer,address,undefined). The
// work itself is in ReadEverything.cpp, which jfr-tests shares.
//

#include "ReadEverything.h"

#include <cstdint>
#include <cstdlib>
#include <sys/mman.h>
#include <unistd.h>

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size)
{
	int fd = ::memfd_create("jfr-fuzz", MFD_CLOEXEC);
	if (fd < 0) std::abort();
	if (size > 0 && ::write(fd, data, size) != static_cast<ssize_t>(size)) std::abort();
	asprof::jfr::fuzz::readEverything(asprof::jfr::Input::fromDescriptor(fd, "fuzz.jfr"));
	return 0;
}
