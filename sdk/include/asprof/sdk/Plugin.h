//
// Plugin.h
//
// The export manifest of a plugin. Put exactly one of these macros in the
// plugin's Plugin.cpp:
//
//     #include "asprof/sdk/Plugin.h"
//     #include "MyReporter.h"
//     ASPROF_REPORTER_PLUGIN(MyReporter, "my")
//
// The agent loads libasprof-reporter-<type>.so, checks asprofPluginInfo()
// (kind, type and ABI version) and then builds the Poco manifest named
// ReporterV<ABI> / MetadataV<ABI>. A plugin built against another ABI version
// is refused with a message naming the file, its ABI and the expected ABI.
//

#ifndef Asprof_Sdk_Plugin_INCLUDED
#define Asprof_Sdk_Plugin_INCLUDED

#include "asprof/sdk/MetadataProvider.h"
#include "asprof/sdk/Reporter.h"
#include "asprof/sdk/Version.h"
#include "Poco/ClassLibrary.h"

extern "C" {

struct AsprofPluginInfo
	/// Describes a plugin. The layout of this struct never changes, so the
	/// agent can read abiVersion from plugins of any version.
{
	unsigned abiVersion;    ///< ASPROF_SDK_ABI_VERSION the plugin was built with
	const char* kind;       ///< "reporter" or "metadata"
	const char* type;       ///< the type name used in agent.ini (type = <type>)
	const char* sdkVersion; ///< ASPROF_VERSION_STRING the plugin was built with
};

typedef const AsprofPluginInfo* (*AsprofPluginInfoFunc)();

} // extern "C"

#ifndef ASPROF_PLUGIN_ABI_VERSION
#define ASPROF_PLUGIN_ABI_VERSION ASPROF_SDK_ABI_VERSION
	///< Only tests override this, to build a plugin with a wrong ABI on purpose.
#endif

#define ASPROF_PLUGIN_INFO_IMPL(kindName, typeName)                                                  \
	extern "C" __attribute__((visibility("default"))) const AsprofPluginInfo* asprofPluginInfo()     \
	{                                                                                                \
		static const AsprofPluginInfo info = {ASPROF_PLUGIN_ABI_VERSION, kindName, typeName, ASPROF_VERSION_STRING}; \
		return &info;                                                                                \
	}

#define ASPROF_REPORTER_PLUGIN(Class, typeName)                                                      \
	ASPROF_PLUGIN_INFO_IMPL("reporter", typeName)                                                    \
	POCO_BEGIN_NAMED_MANIFEST(POCO_JOIN(ReporterV, ASPROF_PLUGIN_ABI_VERSION), asprof::sdk::Reporter) \
	POCO_EXPORT_INTERFACE(Class, typeName)                                                           \
	POCO_END_MANIFEST

#define ASPROF_METADATA_PLUGIN(Class, typeName)                                                      \
	ASPROF_PLUGIN_INFO_IMPL("metadata", typeName)                                                    \
	POCO_BEGIN_NAMED_MANIFEST(POCO_JOIN(MetadataV, ASPROF_PLUGIN_ABI_VERSION), asprof::sdk::MetadataProvider) \
	POCO_EXPORT_INTERFACE(Class, typeName)                                                           \
	POCO_END_MANIFEST

#endif // Asprof_Sdk_Plugin_INCLUDED
