//
// Plugin.h
//
// The export manifest of a plugin. Put exactly one of these macros in one
// source file of the plugin (any name; asprof_add_plugin finds it):
//
//     #include "asprof/sdk/Plugin.h"
//     #include "MyReporter.h"
//     ASPROF_REPORTER_PLUGIN(MyReporter, "my")
//
// The macro writes two things into the library:
//   - a plugin note: plain data in the ELF section ".asprof.plugin" saying
//     what the plugin is (kind, type) and what it was built with (SDK ABI,
//     Poco version, C++ standard library ABI);
//   - the Poco manifest ReporterV<ABI> / MetadataV<ABI> that creates it.
// The agent reads the note from the file BEFORE loading it: a plugin built
// against another SDK ABI, another Poco (major.minor) or the other C++ library
// ABI is refused with a message naming the file, what it was built with and
// what this agent expects, and none of its code runs (no static initialiser,
// no symbol binding). See docs/plugins.md.
//

#ifndef Asprof_Sdk_Plugin_INCLUDED
#define Asprof_Sdk_Plugin_INCLUDED

#include "asprof/sdk/MetadataProvider.h"
#include "asprof/sdk/Reporter.h"
#include "asprof/sdk/Version.h"
#include "Poco/ClassLibrary.h"
#include "Poco/Version.h"
#include <cstdint>

extern "C"
{
	/// The plugin note, in the section ".asprof.plugin" of every plugin.
	/// Plain data without pointers (it is read from the file, not from
	/// memory), host byte order. Its layout never changes: a new field means
	/// a new layout number, and the agent keeps reading every older layout.
	struct AsprofPluginNote
	{
		char magic[16];            ///< "asprof-plugin", NUL-padded
		std::uint32_t layout;      ///< 1
		std::uint32_t abiVersion;  ///< ASPROF_SDK_ABI_VERSION
		std::uint32_t pocoVersion; ///< POCO_VERSION (0xMMmmPPbb); major.minor must match the agent's
		std::uint32_t cxxAbi;      ///< ASPROF_PLUGIN_CXX_ABI: 0 libstdc++ pre-C++11 ABI, 1 libstdc++ C++11 ABI, 2 libc++
		char kind[16];             ///< "reporter" or "metadata"
		char type[64];             ///< the type name used in agent.ini (type = <type>)
		char sdkVersion[32];       ///< ASPROF_VERSION_STRING of the SDK the plugin was built with
	};

} // extern "C"

static_assert(sizeof(AsprofPluginNote) == 144, "the plugin note layout never changes");

/// The section that holds the plugin note.
#define ASPROF_PLUGIN_NOTE_SECTION ".asprof.plugin"

#ifndef ASPROF_PLUGIN_ABI_VERSION
#define ASPROF_PLUGIN_ABI_VERSION ASPROF_SDK_ABI_VERSION
///< Only tests override this, to build a plugin with a wrong ABI on purpose.
#endif

#ifndef ASPROF_PLUGIN_POCO_VERSION
#define ASPROF_PLUGIN_POCO_VERSION POCO_VERSION
///< Only tests override this, to build a plugin for another Poco on purpose.
#endif

#if defined(_LIBCPP_VERSION)
#define ASPROF_PLUGIN_CXX_ABI 2
#elif defined(_GLIBCXX_USE_CXX11_ABI) && _GLIBCXX_USE_CXX11_ABI
#define ASPROF_PLUGIN_CXX_ABI 1
#else
#define ASPROF_PLUGIN_CXX_ABI 0
#endif

// retain: the linker keeps the note even with --gc-sections (GCC 11+, clang 13+).
#if defined(__has_attribute)
#if __has_attribute(retain)
#define ASPROF_PLUGIN_NOTE_RETAIN , retain
#endif
#endif
#ifndef ASPROF_PLUGIN_NOTE_RETAIN
#define ASPROF_PLUGIN_NOTE_RETAIN
#endif

#define ASPROF_PLUGIN_NOTE_IMPL(kindName, typeName)                                                                                        \
	extern "C" __attribute__((used ASPROF_PLUGIN_NOTE_RETAIN, section(ASPROF_PLUGIN_NOTE_SECTION), visibility("hidden")))                  \
	const AsprofPluginNote asprofPluginNote = {"asprof-plugin", 1, ASPROF_PLUGIN_ABI_VERSION, ASPROF_PLUGIN_POCO_VERSION,                  \
		ASPROF_PLUGIN_CXX_ABI, kindName, typeName, ASPROF_VERSION_STRING};

#define ASPROF_REPORTER_PLUGIN(Class, typeName)                                                                                            \
	ASPROF_PLUGIN_NOTE_IMPL("reporter", typeName)                                                                                          \
	POCO_BEGIN_NAMED_MANIFEST(POCO_JOIN(ReporterV, ASPROF_PLUGIN_ABI_VERSION), asprof::sdk::Reporter)                                      \
	POCO_EXPORT_INTERFACE(Class, typeName)                                                                                                 \
	POCO_END_MANIFEST

#define ASPROF_METADATA_PLUGIN(Class, typeName)                                                                                            \
	ASPROF_PLUGIN_NOTE_IMPL("metadata", typeName)                                                                                          \
	POCO_BEGIN_NAMED_MANIFEST(POCO_JOIN(MetadataV, ASPROF_PLUGIN_ABI_VERSION), asprof::sdk::MetadataProvider)                              \
	POCO_EXPORT_INTERFACE(Class, typeName)                                                                                                 \
	POCO_END_MANIFEST

#endif // Asprof_Sdk_Plugin_INCLUDED
