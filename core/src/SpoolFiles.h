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

/// Throws Poco::IOException(what, strerror(errno), errno).
[[noreturn]] void throwErrno(const std::string& what);

/// A file name fit for a log line: control characters as \xNN, cut at maxLength.
std::string printable(const std::string& name, std::size_t maxLength = 64);

/// Writes everything, retrying EINTR; throws naming path.
void writeAll(int fd, const char* data, std::size_t size, const std::string& path);

/// 16 unpredictable hex digits, for temporary names nobody can plant in advance.
std::string randomHex();

/// The names in the directory (without . and ..).
std::vector<std::string> listNames(int directoryFd, const std::string& directory);

/// True for a regular file (a link is not followed); its size in *size.
bool isRegularFile(int directoryFd, const std::string& name, std::uint64_t* size = nullptr);

/// Throws Poco::IOException (EPERM) unless the open directory belongs to
/// this process's user and nobody else can write to it; the message says
/// how to fix it.
void checkPrivate(int fd, const std::string& directory);

/// Opens for reading with O_NOFOLLOW | O_NONBLOCK; throws
/// Poco::DataFormatException for a link or anything but a regular file.
int openEntryFile(int directoryFd, const std::string& name, struct stat& info);

/// An entry's JSON, at most 1 MiB (larger: Poco::DataFormatException).
std::string readMetadata(int directoryFd, const std::string& name);

/// A private copy of a spooled recording, which must start with the JFR
/// magic (else Poco::DataFormatException).
std::unique_ptr<FileRecording> readRecording(int directoryFd, const std::string& name);

} // namespace spoolfiles
} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_SpoolFiles_INCLUDED
