#include "FakeUserEvents.h"
#include "Poco/Exception.h"
#include <dlfcn.h>
#include <sstream>

namespace asprof {
namespace test {

namespace {

struct FakeLibrary
{
	int (*get)(const char* name, char* buffer, std::size_t size);
	void (*reset)();
	volatile std::uint64_t* (*threadLocalData)();
};

void* symbol(void* handle, const char* name)
{
	void* address = ::dlsym(handle, name);
	if (!address) throw Poco::LibraryLoadException(ASPROF_FAKE_PROFILER " lacks " + std::string(name));
	return address;
}

const FakeLibrary& fake()
{
	static const FakeLibrary library = []() {
		void* handle = ::dlopen(ASPROF_FAKE_PROFILER, RTLD_NOW | RTLD_NOLOAD);
		if (!handle) handle = ::dlopen(ASPROF_FAKE_PROFILER, RTLD_NOW);
		if (!handle) throw Poco::LibraryLoadException(ASPROF_FAKE_PROFILER, ::dlerror());
		FakeLibrary result;
		result.get = reinterpret_cast<int (*)(const char*, char*, std::size_t)>(symbol(handle, "asprof_fake_get"));
		result.reset = reinterpret_cast<void (*)()>(symbol(handle, "asprof_fake_reset"));
		// asprof_thread_local_data is { volatile uint64_t sample_counter; }
		result.threadLocalData = reinterpret_cast<volatile std::uint64_t* (*)()>(symbol(handle, "asprof_get_thread_local_data"));
		return result;
	}();
	return library;
}

std::uint64_t littleEndian(const std::string& bytes, std::size_t offset)
{
	std::uint64_t value = 0;
	for (std::size_t i = 8; i-- > 0;) value = value << 8 | static_cast<unsigned char>(bytes.at(offset + i));
	return value;
}

} // namespace

std::uint64_t FakeEvent::before() const
{
	return littleEndian(payload, 0);
}

std::uint64_t FakeEvent::after() const
{
	return littleEndian(payload, 8);
}

std::string FakeUserEvents::get(const char* name)
{
	char buffer[8192];
	if (fake().get(name, buffer, sizeof(buffer)) != 1) throw Poco::IllegalStateException("asprof_fake_get", name);
	return buffer;
}

std::uint64_t FakeUserEvents::emitted()
{
	return std::stoull(get("ASPROF_FAKE_EVENTS"));
}

FakeEvent FakeUserEvents::last()
{
	FakeEvent event;
	std::istringstream fields(get("ASPROF_FAKE_LAST_EVENT"));
	std::string hex;
	if (!(fields >> event.key >> event.thread >> hex)) return FakeEvent();
	for (std::size_t i = 0; i + 1 < hex.size(); i += 2) event.payload += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
	return event;
}

std::uint64_t FakeUserEvents::registrations()
{
	return std::stoull(get("ASPROF_FAKE_REGISTERED"));
}

std::string FakeUserEvents::lastRegisteredName()
{
	std::istringstream fields(get("ASPROF_FAKE_REGISTERED"));
	std::string count, thread, name;
	fields >> count >> thread >> name;
	return name;
}

long FakeUserEvents::lastRegisteringThread()
{
	std::istringstream fields(get("ASPROF_FAKE_REGISTERED"));
	long count = 0, thread = 0;
	fields >> count >> thread;
	return thread;
}

volatile std::uint64_t* FakeUserEvents::sampleCounter()
{
	return fake().threadLocalData();
}

void FakeUserEvents::landSample()
{
	*sampleCounter() += 1;
}

void FakeUserEvents::reset()
{
	fake().reset();
}

} // namespace test
} // namespace asprof
