#include "LibraryPath.h"
#include "asprof/agent/Exception.h"
#include "Poco/File.h"
#include "Poco/FileStream.h"
#include "Poco/Logger.h"
#include "Poco/Path.h"
#include "Poco/StreamCopier.h"
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <dlfcn.h>

namespace asprof {
namespace agent {

namespace {

// glibc's cache format ("new" format, glibc 2.x; ldconfig writes it alone
// since 2.32): a 48-byte header, then 24-byte entries whose key (the file
// name) and value (the path) are offsets from the header's start.
const char CACHE_MAGIC[] = "glibc-ld.so.cache1.1";
const std::size_t CACHE_HEADER_SIZE = 48;
const std::size_t CACHE_ENTRY_SIZE = 24;
const std::size_t CACHE_MAX_SIZE = 64 * 1024 * 1024;

#if defined(__x86_64__)
const std::int32_t CACHE_OWN_FLAGS = 0x0303; // libc6, x86-64
#elif defined(__aarch64__)
const std::int32_t CACHE_OWN_FLAGS = 0x0a03; // libc6, AArch64
#else
const std::int32_t CACHE_OWN_FLAGS = 0; // any libc6 entry
#endif

std::uint32_t readUint32(const std::string& data, std::size_t offset)
{
	std::uint32_t value;
	std::memcpy(&value, data.data() + offset, sizeof(value));
	return value;
}

std::string readCString(const std::string& data, std::size_t offset)
{
	if (offset >= data.size()) return std::string();
	std::size_t end = data.find('\0', offset);
	return end == std::string::npos ? std::string() : data.substr(offset, end - offset);
}

// The system directories dlopen searches last (trusted directories).
std::vector<std::string> systemDirectories()
{
	std::vector<std::string> dirs;
#if defined(__x86_64__)
	dirs = {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu"};
#elif defined(__aarch64__)
	dirs = {"/lib/aarch64-linux-gnu", "/usr/lib/aarch64-linux-gnu"};
#endif
	for (const char* dir : {"/lib64", "/usr/lib64", "/lib", "/usr/lib"}) dirs.push_back(dir);
	return dirs;
}

// libasprof-agent.so is built with RUNPATH $ORIGIN: dlopen from it searches
// its own directory.
std::string agentDirectory()
{
	Dl_info info;
	if (::dladdr(reinterpret_cast<void*>(&LibraryPath::searchDirectories), &info) == 0 || !info.dli_fname || info.dli_fname[0] != '/')
		return std::string();
	std::string dir = Poco::Path(info.dli_fname).parent().toString();
	if (dir.size() > 1 && dir.back() == '/') dir.pop_back();
	return dir;
}

void addIfFile(std::vector<std::string>& found, const std::string& path)
{
	for (const auto& known : found)
	{
		if (known == path) return;
	}
	try
	{
		if (Poco::File(path).isFile()) found.push_back(path);
	}
	catch (Poco::Exception&)
	{
		// Unreadable directory, dangling link: not a candidate.
	}
}

} // namespace

std::vector<std::string> LibraryPath::searchDirectories(const std::string& ldLibraryPath, std::vector<std::string>* skipped)
{
	std::vector<std::string> dirs;
	// ld.so splits on ':' and ';' and takes an empty component for ".".
	std::string::size_type start = 0;
	while (!ldLibraryPath.empty() && start <= ldLibraryPath.size())
	{
		std::string::size_type end = ldLibraryPath.find_first_of(":;", start);
		if (end == std::string::npos) end = ldLibraryPath.size();
		std::string component = ldLibraryPath.substr(start, end - start);
		if (!component.empty() && component[0] == '/')
			dirs.push_back(component);
		else if (skipped)
			skipped->push_back(component);
		start = end + 1;
	}
	std::string own = agentDirectory();
	if (!own.empty()) dirs.push_back(own);
	return dirs;
}

std::vector<std::string> LibraryPath::cacheEntries(const std::string& cacheFile, const std::string& name)
{
	std::string data;
	try
	{
		Poco::File file(cacheFile);
		if (!file.isFile() || file.getSize() > CACHE_MAX_SIZE) return {};
		Poco::FileInputStream in(cacheFile);
		Poco::StreamCopier::copyToString(in, data);
	}
	catch (Poco::Exception&)
	{
		return {};
	}
	std::vector<std::string> paths;
	std::size_t header = data.find(CACHE_MAGIC, 0, sizeof(CACHE_MAGIC) - 1);
	if (header == std::string::npos || data.size() < header + CACHE_HEADER_SIZE) return paths;
	std::uint32_t count = readUint32(data, header + 20);
	for (std::uint32_t i = 0; i < count; ++i)
	{
		std::size_t entry = header + CACHE_HEADER_SIZE + i * CACHE_ENTRY_SIZE;
		if (entry + CACHE_ENTRY_SIZE > data.size()) break;
		auto flags = static_cast<std::int32_t>(readUint32(data, entry));
		if ((flags & 0xff) != 3 || (CACHE_OWN_FLAGS != 0 && flags != CACHE_OWN_FLAGS)) continue;
		if (readCString(data, header + readUint32(data, entry + 4)) != name) continue;
		std::string path = readCString(data, header + readUint32(data, entry + 8));
		if (!path.empty() && path[0] == '/') paths.push_back(path);
	}
	return paths;
}

std::vector<std::string> LibraryPath::candidates(const std::string& library, const std::vector<std::string>& installDirectories)
{
	if (library.find('/') != std::string::npos)
	{
		if (library[0] != '/')
			throw AgentException("library '" + library +
				"' is a relative path; refusing to load code relative to the current directory. Give an absolute path or a bare name");
		return {library};
	}
	const char* ldLibraryPath = std::getenv("LD_LIBRARY_PATH");
	std::vector<std::string> skipped;
	std::vector<std::string> dirs = searchDirectories(ldLibraryPath ? ldLibraryPath : "", &skipped);
	for (const auto& component : skipped)
	{
		Poco::Logger::get("asprof.agent")
			.warning("LD_LIBRARY_PATH component '%s' is %s; not searched for %s (the agent never loads code from the current directory)",
				component, std::string(component.empty() ? "empty (the current directory to ld.so)" : "relative"), library);
	}
	std::vector<std::string> found;
	for (const auto& dir : dirs) addIfFile(found, dir + "/" + library);
	for (const auto& path : cacheEntries("/etc/ld.so.cache", library)) addIfFile(found, path);
	for (const auto& dir : systemDirectories()) addIfFile(found, dir + "/" + library);
	for (const auto& dir : installDirectories) addIfFile(found, dir + "/" + library);
	return found;
}

} // namespace agent
} // namespace asprof
