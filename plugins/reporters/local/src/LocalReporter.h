//
// LocalReporter.h
//
// Writes each profile to a local directory.
//

#ifndef Asprof_Plugins_LocalReporter_INCLUDED
#define Asprof_Plugins_LocalReporter_INCLUDED

#include "ProfileDirectory.h"
#include "asprof/sdk/ProfileArchive.h"
#include "asprof/sdk/Reporter.h"
#include "Poco/Timestamp.h"
#include <cstdint>
#include <memory>
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
///   compressionLevel = fast  format = zip only: fast (zlib level 1),
///                          normal (6) or best (9)
///
/// File names are the Rust agent's: the profile's end time in UTC as
/// YYYY-MM-DDTHH-MM-SSZ.jfr (or .zip). An existing file is never
/// overwritten: a later profile of the same second gets a suffix above
/// every one used for that second ("-1", "-2", ...), so names sort in the
/// order the profiles were written. A profile of a second older than the
/// newest file (the clock stepped back, a profile replayed from a spool)
/// is named for its own second; without retention its suffix is the first
/// free one for that second.
///
/// A report costs the same however many files the directory holds: the
/// directory is listed once at start (ProfileDirectory), and after that
/// only with retention, once every maxFiles reports. Retention deletes the
/// oldest profile names first, as the reporter remembers them: a file
/// someone else deleted is forgotten (the directory then holds fewer than
/// maxFiles for a while), profile names another writer adds to the
/// directory count from the next listing on (until then the directory may
/// hold that many more). Files appear atomically (written to a hidden
/// temporary file with an unpredictable name, created exclusively and never
/// through a symbolic link, then linked into place). Their mode is 0666
/// less the process's umask, like any file the host creates: under umask
/// 077 profiles are 0600, under 022 0644. The content is streamed into
/// the temporary file: the JFR copied from the recording's file, the zip
/// deflated as the recording is read; neither is held on the heap.
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
		sdk::ProfileArchive::CompressionLevel compressionLevel = sdk::ProfileArchive::CL_FAST;
	};

	void configure(sdk::PluginContext& context) override;
	void start() override;
	sdk::ReportResult report(const sdk::Profile& profile) override;

	const Options& options() const;

	/// How many times the directory was listed since start(): once at
	/// start, then with retention once every maxFiles reports. For tests
	/// and diagnostics.
	std::size_t directoryScans() const;

	/// "2025-03-20T16-41-24Z" (UTC, whole seconds).
	static std::string baseName(const Poco::Timestamp& time);

	/// True for names this reporter writes (baseName[-N].jfr|.zip, N of
	/// at most 9 digits).
	static bool isProfileFileName(const std::string& name);

private:
	void createDirectory();
	std::string writeProfile(const sdk::Profile& profile);
	int createTemporary(const std::string& base, std::vector<char>& temporary) const;
	std::string linkIntoPlace(const std::string& temporary, const std::string& base);
	void scanDirectory();
	void applyRetention();
	void writeContent(int fd, const std::string& path, const sdk::Profile& profile);

	Options _options;
	Poco::Logger* _logger = nullptr;
	std::unique_ptr<ProfileDirectory> _files; // made by start()
	std::size_t _reportsSinceScan = 0;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_LocalReporter_INCLUDED
