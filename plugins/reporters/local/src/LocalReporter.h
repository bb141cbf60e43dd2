//
// LocalReporter.h
//
// Writes each profile to a local directory.
//

#ifndef Asprof_Plugins_LocalReporter_INCLUDED
#define Asprof_Plugins_LocalReporter_INCLUDED

#include "asprof/sdk/Reporter.h"
#include "Poco/Timestamp.h"
#include <cstdint>
#include <string>
#include <vector>

namespace Poco {
class Logger;
}

namespace asprof {
namespace plugins {

/// [reporter.<name>] type = local. Keys:
///   directory = profiles   created if missing (with its parents, mode 0777
///                          less the umask), at start and again by the next
///                          report() when it was deleted while the agent runs;
///                          relative to the working directory at start
///   format    = jfr        jfr: the raw recording; zip: the Rust agent's
///                          S3 archive (JFR + metadata.json)
///   maxFiles  = 0          keep at most this many profiles, deleting the
///                          oldest; 0 = unlimited
///
/// File names are the Rust agent's: the profile's end time in UTC as
/// YYYY-MM-DDTHH-MM-SSZ.jfr (or .zip). An existing file is never
/// overwritten: a later profile of the same second gets a suffix above
/// every one used for that second ("-1", "-2", ...), so names always sort
/// in the order the profiles were written. Files appear atomically (written to a hidden
/// temporary file with an unpredictable name, created exclusively and never
/// through a symbolic link, then linked into place). Their mode is 0666
/// less the process's umask, like any file the host creates: under umask
/// 077 profiles are 0600, under 022 0644.
///
/// Results (classifyException, ErrorClassification.h): disk full, quota, I/O
/// and descriptor exhaustion -> Retry; other errors (permissions, read-only
/// file system, a file where the directory should be) -> Fail.
class LocalReporter: public sdk::Reporter
{
public:
	struct Options
	{
		std::string directory = "profiles";
		std::string format = "jfr";
		std::size_t maxFiles = 0;
	};

	void configure(sdk::PluginContext& context) override;
	void start() override;
	sdk::ReportResult report(const sdk::Profile& profile) override;

	const Options& options() const;

	/// "2025-03-20T16-41-24Z" (UTC, whole seconds).
	static std::string baseName(const Poco::Timestamp& time);

	/// True for names this reporter writes (baseName[-N].jfr|.zip).
	static bool isProfileFileName(const std::string& name);

private:
	void createDirectory();
	std::string writeProfile(const sdk::Profile& profile);
	int createTemporary(const std::string& base, std::vector<char>& temporary) const;
	std::string linkIntoPlace(const std::string& temporary, const std::string& base);
	int nextSuffix(const std::string& base) const;
	void applyRetention();
	void writeContent(int fd, const sdk::Profile& profile);

	Options _options;
	Poco::Logger* _logger = nullptr;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_LocalReporter_INCLUDED
