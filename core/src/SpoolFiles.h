//
// SpoolFiles.h
//
// File access inside a spool directory that others may have tampered with:
// relative to one directory descriptor, never through a link, never blocking
// on a FIFO, regular files only.
//

#ifndef Asprof_Agent_SpoolFiles_INCLUDED
#define Asprof_Agent_SpoolFiles_INCLUDED

#include "FileRecording.h"
#include <cstdint>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <vector>

namespace asprof {
namespace agent {
namespace spoolfiles {

[[noreturn]] void throwErrno(const std::string& what);
	/// Throws Poco::IOException(what, strerror(errno), errno).

std::string printable(const std::string& name, std::size_t maxLength = 64);
	/// A file name fit for a log line: control characters as \xNN, cut at maxLength.

void writeAll(int fd, const char* data, std::size_t size, const std::string& path);
	/// Writes everything, retrying EINTR; throws naming path.

std::string randomHex();
	/// 16 unpredictable hex digits, for temporary names nobody can plant in advance.

std::vector<std::string> listNames(int directoryFd, const std::string& directory);
	/// The names in the directory (without . and ..).

bool isRegularFile(int directoryFd, const std::string& name, std::uint64_t* size = nullptr);
	/// True for a regular file (a link is not followed); its size in *size.

void checkPrivate(int fd, const std::string& directory);
	/// Throws Poco::IOException (EPERM) unless the open directory belongs to
	/// this process's user and nobody else can write to it; the message says
	/// how to fix it.

int openEntryFile(int directoryFd, const std::string& name, struct stat& info);
	/// Opens for reading with O_NOFOLLOW | O_NONBLOCK; throws
	/// Poco::DataFormatException for a link or anything but a regular file.

std::string readMetadata(int directoryFd, const std::string& name);
	/// An entry's JSON, at most 1 MiB (larger: Poco::DataFormatException).

std::unique_ptr<FileRecording> readRecording(int directoryFd, const std::string& name);
	/// A private copy of a spooled recording, which must start with the JFR
	/// magic (else Poco::DataFormatException).

} } } // namespace asprof::agent::spoolfiles

#endif // Asprof_Agent_SpoolFiles_INCLUDED
