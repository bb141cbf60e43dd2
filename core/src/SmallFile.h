//
// SmallFile.h
//
// Reads a small configuration file (agent.ini, a token file) safely.
//

#ifndef Asprof_Agent_SmallFile_INCLUDED
#define Asprof_Agent_SmallFile_INCLUDED

#include <cstddef>
#include <string>

namespace asprof {
namespace agent {

/// The file's content, or an empty string and problem set to why not:
/// the open() error, "it is a directory", "it is not a regular file (a
/// FIFO)", "it is larger than <maxSizeText>". Opened without blocking and checked
/// on the descriptor, so a FIFO or a device never blocks the caller (the
/// host waits for the agent's start); read up to maxSize (with EINTR
/// retried).
std::string readSmallFile(const std::string& path, std::size_t maxSize, const std::string& maxSizeText, std::string& problem);

} // namespace agent
} // namespace asprof

#endif // Asprof_Agent_SmallFile_INCLUDED
