#include "PluginRegistry.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/Plugin.h"
#include "Poco/ClassLoader.h"
#include "Poco/Logger.h"
#include "Poco/Mutex.h"
#include "Poco/File.h"
#include "Poco/Manifest.h"
#include "Poco/NumberFormatter.h"
#include "Poco/Path.h"
#include "Poco/SharedLibrary.h"
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

const AsprofPluginInfo& readPluginInfo(const std::string& path, const std::string& loadPath, const std::string& kind, const std::string& type)
{
	// Poco::SharedLibrary never unloads in its destructor, and the library
	// stays loaded for the ClassLoader below; the handle itself is not needed.
	Poco::SharedLibrary library;
	try
	{
		library.load(loadPath);
	}
	catch (Poco::Exception& e)
	{
		throw PluginException("cannot load plugin " + path + ": " + e.displayText());
	}
	if (!library.hasSymbol("asprofPluginInfo"))
	{
		throw PluginException("plugin " + path + " has no asprof-agent manifest (asprofPluginInfo is missing); "
			"build it with ASPROF_REPORTER_PLUGIN or ASPROF_METADATA_PLUGIN from asprof/sdk/Plugin.h");
	}
	auto infoFunction = reinterpret_cast<AsprofPluginInfoFunc>(library.getSymbol("asprofPluginInfo"));
	const AsprofPluginInfo* info = infoFunction();
	if (!info) throw PluginException("plugin " + path + " returned no plugin information");
	if (info->abiVersion != ASPROF_SDK_ABI_VERSION)
	{
		throw PluginException("plugin " + path + " was built for plugin ABI " + std::to_string(info->abiVersion) +
			" (SDK " + (info->sdkVersion ? info->sdkVersion : "?") + "), this agent expects ABI " +
			std::to_string(ASPROF_SDK_ABI_VERSION) + " (SDK " + ASPROF_VERSION_STRING + "); rebuild the plugin against this SDK");
	}
	if (!info->kind || kind != info->kind || !info->type || type != info->type)
	{
		throw PluginException("plugin " + path + " is a " + (info->kind ? info->kind : "?") + " plugin of type '" +
			(info->type ? info->type : "?") + "', not a " + kind + " plugin of type '" + type + "'");
	}
	return *info;
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
std::unique_ptr<Base> createInstance(const std::string& path, int fd, const std::string& kind, const std::string& type, const std::string& manifestPrefix)
{
	std::string loadPath = loadPathFor(path, fd);
	readPluginInfo(path, loadPath, kind, type);
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
	if (it == manifest->end())
		throw PluginException("plugin " + path + " does not export a " + kind + " named '" + type + "'");
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

PluginRegistry::PluginRegistry(const std::string& pluginDir):
	_pluginDir(pluginDir.empty() ? defaultPluginDir() : pluginDir)
{
}

std::string PluginRegistry::defaultPluginDir()
{
	Dl_info info;
	if (::dladdr(reinterpret_cast<void*>(&PluginRegistry::defaultPluginDir), &info) == 0 || !info.dli_fname)
		return "/usr/lib/asprof-agent/plugins";
	Poco::Path library(info.dli_fname);
	library.makeAbsolute();
	return library.parent().toString() + "asprof-agent/plugins";
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
	if (!::realpath(path.c_str(), canonical))
		throw PluginException("cannot use plugin directory " + path + ": " + std::strerror(errno));
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
	if (path.empty() || path[0] != '/' || path.back() == '/') throw PluginException("plugin library " + path + " must be an absolute file path");
	Poco::Path file(path);
	int directory = openTrustedDirectory(file.parent().toString());
	int fd = ::openat(directory, file.getFileName().c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	int openError = errno;
	::close(directory);
	if (fd < 0 && openError == ELOOP)
		throw PluginException("refusing plugin " + path + ": it is a symbolic link; name the file itself (plugins are opened without following links)");
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
			Poco::NumberFormatter::formatHex(st.st_mode & 07777) + "); chmod go-w it");
	if (st.st_uid != 0 && st.st_uid != ::geteuid())
		throw PluginException("refusing plugin " + what + ": owned by uid " + std::to_string(st.st_uid) + ", neither root nor this process's user");
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

} } // namespace asprof::agent
