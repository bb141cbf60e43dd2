#include "PluginRegistry.h"
#include "asprof/agent/Exception.h"
#include "PluginNote.h"
#include "asprof/sdk/Plugin.h"
#include "Poco/ClassLoader.h"
#include "Poco/Logger.h"
#include "Poco/Mutex.h"
#include "Poco/File.h"
#include "Poco/Format.h"
#include "Poco/Manifest.h"
#include "Poco/NumberFormatter.h"
#include "Poco/Path.h"
#include <cerrno>
#include <cstring>
#include <climits>
#include <cstdlib>
#include <dlfcn.h>
#include <fcntl.h>
#include <map>
#include <sys/stat.h>
#include <unistd.h>

namespace asprof {
namespace agent {

namespace {

// Process-lifetime loaders: plugins are never unloaded.
template <class Base>
Poco::ClassLoader<Base>& classLoader()
{
	static auto* loader = new Poco::ClassLoader<Base>;
	return *loader;
}

// Before anything of the plugin runs: its note, read from the file, must say
// it was built for this agent (SDK ABI, Poco, C++ library ABI) and is the
// kind and type asked for. On any mismatch the file is never loaded.
PluginNote checkPluginNote(int fd, const std::string& path, const std::string& kind, const std::string& type)
{
	PluginNote note;
	try
	{
		note = PluginNote::read(fd, path);
	}
	catch (...)
	{
		::close(fd);
		throw;
	}
	PluginNote expected = PluginNote::expected(kind, type);
	std::string mismatch = note.mismatch(expected);
	if (!mismatch.empty())
	{
		::close(fd);
		throw PluginException("refusing plugin " + path + ": " + mismatch +
			"; rebuild the plugin against this agent's SDK (plugin: " + note.builtWith() + "; agent: " + expected.builtWith() + ")");
	}
	if (note.kind != kind || note.type != type)
	{
		::close(fd);
		throw PluginException("plugin " + path + " is a " + note.kind + " plugin of type '" + note.type + "', not a " + kind +
			" plugin of type '" + type + "'");
	}
	return note;
}

// Binds every symbol before anything else: Poco's loader uses RTLD_LAZY, and
// a plugin that calls an SDK function this agent lacks (built against a newer
// SDK of the same ABI, or not linked with -z now) would end the host at its
// first call. The handle is kept: plugins are never unloaded.
void bindEverySymbol(const std::string& loadPath, const std::string& path, const PluginNote& note)
{
	if (::dlopen(loadPath.c_str(), RTLD_NOW | RTLD_GLOBAL)) return;
	const char* error = ::dlerror();
	PluginNote ours = PluginNote::expected(note.kind, note.type);
	throw PluginException("refusing plugin " + path + ": it needs what this agent does not provide (" + std::string(error ? error : "?") +
		"); the plugin was built with SDK " + note.sdkVersion + ", this agent has SDK " + ours.sdkVersion +
		": rebuild the plugin against this agent's SDK");
}

// The name each checked file is loaded under: /proc/self/fd/N of a
// descriptor kept open for the life of the process (plugins are never
// unloaded, and a closed N could be reused for another file). The same file
// (device and inode) asked for again reuses its name, so it loads once.
std::string loadPathFor(const std::string& path, int fd)
{
	static Poco::FastMutex mutex;
	static auto* loaded = new std::map<std::pair<dev_t, ino_t>, std::string>;
	struct stat st;
	if (::fstat(fd, &st) != 0) st = {};
	Poco::FastMutex::ScopedLock lock(mutex);
	auto it = loaded->find({st.st_dev, st.st_ino});
	if (it != loaded->end())
	{
		::close(fd);
		return it->second;
	}
	Poco::Logger::get("asprof.agent").information("loading plugin %s", path);
	std::string loadPath = "/proc/self/fd/" + std::to_string(fd);
	(*loaded)[{st.st_dev, st.st_ino}] = loadPath;
	return loadPath;
}

template <class Base>
std::unique_ptr<Base> createInstance(
	const std::string& path, int fd, const std::string& kind, const std::string& type, const std::string& manifestPrefix)
{
	PluginNote note = checkPluginNote(fd, path, kind, type);
	std::string loadPath = loadPathFor(path, fd);
	bindEverySymbol(loadPath, path, note);
	std::string manifestName = manifestPrefix + std::to_string(ASPROF_SDK_ABI_VERSION);
	auto& loader = classLoader<Base>();
	try
	{
		loader.loadLibrary(loadPath, manifestName);
	}
	catch (Poco::Exception& e)
	{
		throw PluginException("cannot load the " + manifestName + " manifest of plugin " + path + ": " + e.displayText());
	}
	const auto* manifest = loader.findManifest(loadPath);
	if (!manifest) throw PluginException("plugin " + path + " has no " + manifestName + " manifest");
	auto it = manifest->find(type);
	if (it == manifest->end()) throw PluginException("plugin " + path + " does not export a " + kind + " named '" + type + "'");
	try
	{
		return std::unique_ptr<Base>(it->create());
	}
	catch (Poco::Exception& e)
	{
		throw PluginException("plugin " + path + ": constructing '" + type + "' failed: " + e.displayText());
	}
	catch (std::exception& e)
	{
		throw PluginException("plugin " + path + ": constructing '" + type + "' failed: " + e.what());
	}
}

} // namespace

PluginRegistry::PluginRegistry(const std::string& pluginDir): _pluginDir(pluginDir.empty() ? defaultPluginDir() : pluginDir)
{
}

std::string PluginRegistry::defaultPluginDir()
{
	Dl_info info;
	if (::dladdr(reinterpret_cast<void*>(&PluginRegistry::defaultPluginDir), &info) == 0 || !info.dli_fname)
		return "/usr/lib/asprof-agent/plugins";
	Poco::Path object(info.dli_fname);
	object.makeAbsolute();
	// The agent's code lives in libasprof-agent.so or the preload library
	// (both in lib/), or, linked statically (test runners, benchmarks), in
	// an executable in bin/, whose plugins are in ../lib.
	const std::string name = object.getFileName();
	const bool sharedObject = name.size() > 3 && (name.compare(name.size() - 3, 3, ".so") == 0 || name.find(".so.") != std::string::npos);
	if (sharedObject) return object.parent().toString() + "asprof-agent/plugins";
	return object.parent().parent().toString() + "lib/asprof-agent/plugins";
}

const std::string& PluginRegistry::pluginDir() const
{
	return _pluginDir;
}

std::string PluginRegistry::pluginPath(const std::string& kind, const std::string& type) const
{
	return _pluginDir + "/libasprof-" + kind + "-" + type + ".so";
}

bool PluginRegistry::hasPlugin(const std::string& kind, const std::string& type) const
{
	return Poco::File(pluginPath(kind, type)).exists();
}

int PluginRegistry::openPlugin(const std::string& kind, const std::string& type, const std::string& library) const
{
	if (!library.empty()) return openTrusted(library);
	std::string path = pluginPath(kind, type);
	if (!Poco::File(path).exists())
	{
		// The directory's own problems (e.g. writable by others) come first.
		::close(openTrustedDirectory(_pluginDir));
		throw PluginException("no " + kind + " plugin of type '" + type + "': " + path + " does not exist");
	}
	return openTrusted(path);
}

// Why: the file that was checked must be the file that is loaded. A path
// is only a name; a symlink or a rename can make it name something else
// between a stat() and a dlopen(). So the file is opened once, without
// following links, from a chain of directory descriptors opened the same way,
// every one checked on the descriptor; the loader then opens /proc/self/fd/N.
int PluginRegistry::openTrustedDirectory(const std::string& path)
{
	char canonical[PATH_MAX];
	if (!::realpath(path.c_str(), canonical)) throw PluginException("cannot use plugin directory " + path + ": " + std::strerror(errno));
	int directory = ::open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (directory < 0) throw PluginException(std::string("cannot open /: ") + std::strerror(errno));
	std::string walked;
	try
	{
		checkOpenFile(directory, "/", true);
		Poco::Path canonicalPath(canonical);
		canonicalPath.makeDirectory();
		for (int i = 0; i < canonicalPath.depth(); ++i)
		{
			walked += "/" + canonicalPath[i];
			int next = ::openat(directory, canonicalPath[i].c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (next < 0) throw PluginException("cannot use plugin directory " + walked + ": " + std::strerror(errno));
			::close(directory);
			directory = next;
			checkOpenFile(directory, walked, true);
		}
	}
	catch (...)
	{
		::close(directory);
		throw;
	}
	return directory;
}

int PluginRegistry::openTrusted(const std::string& path)
{
	if (path.empty() || path[0] != '/' || path.back() == '/')
		throw PluginException("plugin library " + path + " must be an absolute file path");
	Poco::Path file(path);
	int directory = openTrustedDirectory(file.parent().toString());
	int fd = ::openat(directory, file.getFileName().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int openError = errno;
	::close(directory);
	if (fd < 0 && openError == ELOOP)
		throw PluginException(
			"refusing plugin " + path + ": it is a symbolic link; name the file itself (plugins are opened without following links)");
	if (fd < 0) throw PluginException("cannot use plugin " + path + ": " + std::strerror(openError));
	try
	{
		checkOpenFile(fd, path, false);
	}
	catch (...)
	{
		::close(fd);
		throw;
	}
	return fd;
}

void PluginRegistry::checkOpenFile(int fd, const std::string& path, bool directory)
{
	struct stat st;
	std::string what = std::string(directory ? "directory " : "") + path;
	if (::fstat(fd, &st) != 0) throw PluginException("cannot use plugin " + what + ": " + std::strerror(errno));
	if (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		throw PluginException("refusing plugin " + what + ": not a " + (directory ? "directory" : "regular file"));
	// A sticky directory (like /tmp) lets others add entries but not replace
	// ours; what is below it is checked in turn.
	bool sticky = directory && (st.st_mode & S_ISVTX);
	if ((st.st_mode & (S_IWGRP | S_IWOTH)) && !sticky)
		throw PluginException("refusing plugin " + what + ": it is writable by other users (mode " +
			Poco::format("%04o", static_cast<unsigned>(st.st_mode & 07777)) + "); chmod go-w it");
	if (st.st_uid != 0 && st.st_uid != ::geteuid())
		throw PluginException(
			"refusing plugin " + what + ": owned by uid " + std::to_string(st.st_uid) + ", neither root nor this process's user");
}

std::unique_ptr<sdk::Reporter> PluginRegistry::createReporter(const std::string& type, const std::string& library)
{
	std::string path = library.empty() ? pluginPath("reporter", type) : library;
	return createInstance<sdk::Reporter>(path, openPlugin("reporter", type, library), "reporter", type, "ReporterV");
}

std::unique_ptr<sdk::MetadataProvider> PluginRegistry::createMetadataProvider(const std::string& type, const std::string& library)
{
	std::string path = library.empty() ? pluginPath("metadata", type) : library;
	return createInstance<sdk::MetadataProvider>(path, openPlugin("metadata", type, library), "metadata", type, "MetadataV");
}

} // namespace agent
} // namespace asprof
