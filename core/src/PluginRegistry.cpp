#include "PluginRegistry.h"
#include "asprof/agent/Exception.h"
#include "asprof/sdk/Plugin.h"
#include "Poco/ClassLoader.h"
#include "Poco/File.h"
#include "Poco/Manifest.h"
#include "Poco/NumberFormatter.h"
#include "Poco/Path.h"
#include "Poco/SharedLibrary.h"
#include <cerrno>
#include <cstring>
#include <dlfcn.h>
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

const AsprofPluginInfo& readPluginInfo(const std::string& path, const std::string& kind, const std::string& type)
{
	// Poco::SharedLibrary never unloads in its destructor, and the library
	// stays loaded for the ClassLoader below; the handle itself is not needed.
	Poco::SharedLibrary library;
	try
	{
		library.load(path);
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

template <class Base>
std::unique_ptr<Base> createInstance(const std::string& path, const std::string& kind, const std::string& type, const std::string& manifestPrefix)
{
	readPluginInfo(path, kind, type);
	std::string manifestName = manifestPrefix + std::to_string(ASPROF_SDK_ABI_VERSION);
	auto& loader = classLoader<Base>();
	try
	{
		loader.loadLibrary(path, manifestName);
	}
	catch (Poco::Exception& e)
	{
		throw PluginException("cannot load the " + manifestName + " manifest of plugin " + path + ": " + e.displayText());
	}
	const auto* manifest = loader.findManifest(path);
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

std::string PluginRegistry::resolvePath(const std::string& kind, const std::string& type, const std::string& library) const
{
	if (!library.empty())
	{
		if (library[0] != '/') throw PluginException("plugin library " + library + " must be an absolute path");
		checkOwnership(Poco::Path(library).parent().toString(), true);
		checkOwnership(library, false);
		return library;
	}
	std::string path = pluginPath(kind, type);
	checkOwnership(_pluginDir, true);
	if (!Poco::File(path).exists())
	{
		throw PluginException("no " + kind + " plugin of type '" + type + "': " + path + " does not exist");
	}
	checkOwnership(path, false);
	return path;
}

void PluginRegistry::checkOwnership(const std::string& path, bool directory)
{
	struct stat st;
	if (::stat(path.c_str(), &st) != 0)
		throw PluginException("cannot use plugin " + std::string(directory ? "directory " : "") + path + ": " + std::strerror(errno));
	if (directory ? !S_ISDIR(st.st_mode) : !S_ISREG(st.st_mode))
		throw PluginException("refusing plugin " + std::string(directory ? "directory " : "") + path + ": not a " + (directory ? "directory" : "regular file"));
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		throw PluginException("refusing plugin " + std::string(directory ? "directory " : "") + path +
			": it is writable by other users (mode " + Poco::NumberFormatter::formatHex(st.st_mode & 07777) + "); chmod go-w it");
	if (st.st_uid != 0 && st.st_uid != ::geteuid())
		throw PluginException("refusing plugin " + std::string(directory ? "directory " : "") + path +
			": owned by uid " + std::to_string(st.st_uid) + ", neither root nor this process's user");
}

std::unique_ptr<sdk::Reporter> PluginRegistry::createReporter(const std::string& type, const std::string& library)
{
	return createInstance<sdk::Reporter>(resolvePath("reporter", type, library), "reporter", type, "ReporterV");
}

std::unique_ptr<sdk::MetadataProvider> PluginRegistry::createMetadataProvider(const std::string& type, const std::string& library)
{
	return createInstance<sdk::MetadataProvider>(resolvePath("metadata", type, library), "metadata", type, "MetadataV");
}

} } // namespace asprof::agent
