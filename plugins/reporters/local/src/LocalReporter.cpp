#include "LocalReporter.h"
#include "asprof/plugins/DescriptorStream.h"
#include "asprof/plugins/ErrorClassification.h"
#include "asprof/sdk/PluginContext.h"
#include "asprof/sdk/ProfileArchive.h"
#include "Poco/DateTimeFormatter.h"
#include "Poco/Exception.h"
#include "Poco/File.h"
#include "Poco/Logger.h"
#include "Poco/Path.h"
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

namespace asprof {
namespace plugins {

namespace {

const int MAX_SAME_SECOND = 1000;

// Poco's file exceptions carry errno, so ErrorClassification sees the cause.
[[noreturn]] void throwSystemError(const std::string& what, int error)
{
	throw Poco::FileException(what, std::strerror(error), error);
}

// Six characters no one can predict (O_EXCL makes a collision harmless anyway).
std::string randomSuffix()
{
	static const char ALPHABET[] = "abcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char bytes[6] = {0};
	if (::getrandom(bytes, sizeof(bytes), GRND_NONBLOCK) != static_cast<ssize_t>(sizeof(bytes)))
	{
		auto seed = static_cast<unsigned long long>(std::chrono::steady_clock::now().time_since_epoch().count());
		for (auto& byte : bytes) byte = static_cast<unsigned char>(seed >>= 5);
	}
	std::string suffix;
	for (unsigned char byte : bytes) suffix += ALPHABET[byte % (sizeof(ALPHABET) - 1)];
	return suffix;
}

} // namespace

void LocalReporter::configure(sdk::PluginContext& context)
{
	_logger = &context.logger();
	_options.directory = getString(context, "directory", _options.directory);
	if (_options.directory.empty()) throwBadValue(context, "directory", "", "a directory path");
	_options.format = getChoice(context, "format", _options.format, {"jfr", "zip"});
	_options.maxFiles = static_cast<std::size_t>(getInt(context, "maxFiles", 0, 0, 1000000000));
	_options.compressionLevel = sdk::ProfileArchive::readCompressionLevel(context);
}

void LocalReporter::start()
{
	Poco::Path directory(_options.directory);
	directory.makeAbsolute();
	_options.directory = directory.toString();
	createDirectory();
	_files = std::make_unique<ProfileDirectory>(_options.maxFiles > 0);
	scanDirectory();
}

// The one listing: at start, and with retention again after maxFiles reports,
// so files other writers add (or delete) are counted within that many reports
// while a report stays O(1) on average (the directory holds about maxFiles).
void LocalReporter::scanDirectory()
{
	_files->scan(_options.directory);
	_reportsSinceScan = 0;
}

// At start and again when someone deleted the directory while the agent runs:
// parents included, mode 0777 less the umask (Poco::File, mkdir).
void LocalReporter::createDirectory()
{
	Poco::File(_options.directory).createDirectories();
}

const LocalReporter::Options& LocalReporter::options() const
{
	return _options;
}

std::size_t LocalReporter::directoryScans() const
{
	return _files ? _files->scans() : 0;
}

std::string LocalReporter::baseName(const Poco::Timestamp& time)
{
	return Poco::DateTimeFormatter::format(time, "%Y-%m-%dT%H-%M-%SZ");
}

bool LocalReporter::isProfileFileName(const std::string& name)
{
	return ProfileName::parse(name).has_value();
}

sdk::ReportResult LocalReporter::report(const sdk::Profile& profile)
{
	return reportClassified("local reporter, directory " + _options.directory, [&] {
		if (!_files) throw Poco::IllegalStateException("report() before start()");
		std::string path = writeProfile(profile);
		if (_logger) _logger->debug("wrote %s", path);
		if (_options.maxFiles > 0) applyRetention();
		return sdk::ReportResult::ok();
	});
}

std::string LocalReporter::writeProfile(const sdk::Profile& profile)
{
	std::string base = baseName(profile.end);
	std::vector<char> temporary;
	int fd = createTemporary(base, temporary);
	if (fd < 0 && errno == ENOENT)
	{
		// The directory was deleted while the agent runs: make it again, as start() did.
		if (_logger) _logger->warning("directory %s is gone; creating it again", _options.directory);
		createDirectory();
		_files->forgetFiles();
		fd = createTemporary(base, temporary);
	}
	if (fd < 0) throwSystemError("cannot create a file in " + _options.directory, errno);
	try
	{
		writeContent(fd, temporary.data(), profile);
		if (::close(fd) != 0) throwSystemError("cannot write " + std::string(temporary.data()), errno);
		fd = -1;
		std::string path = linkIntoPlace(temporary.data(), base);
		::unlink(temporary.data());
		return path;
	}
	catch (...)
	{
		if (fd >= 0) ::close(fd);
		::unlink(temporary.data());
		throw;
	}
}

int LocalReporter::createTemporary(const std::string& base, std::vector<char>& temporary) const
{
	// A unique hidden name, created exclusively and never through a link: two
	// instances writing to one directory never share a temporary file. Mode
	// 0666 less the process's umask, as any file the host creates.
	int fd = -1;
	for (int attempt = 0; attempt < 16 && fd < 0; ++attempt)
	{
		const std::string path = _options.directory + "/." + base + "." + randomSuffix();
		temporary.assign(path.begin(), path.end());
		temporary.push_back('\0');
		fd = ::open(temporary.data(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST) break;
	}
	return fd;
}

// Streamed into the file: the JFR copied from the recording's file, the zip
// deflated as the recording is read (the file is seekable, as the zip wants).
// A failed write (ENOSPC, EIO, ...) leaves close() as a FileException with its errno.
void LocalReporter::writeContent(int fd, const std::string& path, const sdk::Profile& profile)
{
	DescriptorOutputStream out(fd, path);
	if (_options.format == "zip")
		sdk::ProfileArchive::write(profile, out, _options.compressionLevel);
	else
		profile.recording->copyTo(out);
	out.close();
}

// link() fails with EEXIST instead of replacing: an earlier file is never
// overwritten. The first name tried sorts after every one known for that
// second; a name someone else took meanwhile costs one more link().
std::string LocalReporter::linkIntoPlace(const std::string& temporary, const std::string& base)
{
	int first = _files->firstSuffix(base);
	for (int suffix = first; suffix < first + MAX_SAME_SECOND; ++suffix)
	{
		ProfileName name = ProfileName::make(base, suffix, _options.format);
		std::string path = _options.directory + "/" + name.fileName;
		if (::link(temporary.c_str(), path.c_str()) == 0)
		{
			_files->added(name);
			return path;
		}
		if (errno != EEXIST) throwSystemError("cannot create " + path, errno);
	}
	throwSystemError("more than " + std::to_string(MAX_SAME_SECOND) + " profiles named " + base, EEXIST);
}

// The oldest names go first; one already deleted by someone else is just forgotten.
void LocalReporter::applyRetention()
{
	if (++_reportsSinceScan >= _options.maxFiles) scanDirectory();
	for (const std::string& name : _files->takeOldest(_options.maxFiles))
	{
		std::string path = _options.directory + "/" + name;
		if (::unlink(path.c_str()) != 0 && errno != ENOENT && _logger)
			_logger->warning("retention: cannot delete %s: %s", path, std::string(std::strerror(errno)));
	}
}

} // namespace plugins
} // namespace asprof
