#include "SmallFile.h"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace asprof {
namespace agent {

std::string readSmallFile(const std::string& path, std::size_t maxSize, const std::string& maxSizeText, std::string& problem)
{
	problem.clear();
	int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
	{
		problem = std::strerror(errno);
		return std::string();
	}
	struct stat st;
	std::string text;
	if (::fstat(fd, &st) != 0)
		problem = std::strerror(errno);
	else if (S_ISDIR(st.st_mode))
		problem = "it is a directory";
	else if (!S_ISREG(st.st_mode))
		problem = std::string("it is not a regular file (") +
			(S_ISFIFO(st.st_mode)          ? "a FIFO"
					: S_ISSOCK(st.st_mode) ? "a socket"
										   : "a device") +
			")";
	else if (static_cast<std::size_t>(st.st_size) > maxSize)
		problem = "it is larger than " + maxSizeText + " (" + std::to_string(st.st_size) + " bytes)";
	char buffer[8192];
	while (problem.empty())
	{
		ssize_t n = ::read(fd, buffer, sizeof(buffer));
		if (n < 0 && errno == EINTR) continue;
		if (n < 0) problem = std::strerror(errno);
		if (n <= 0) break;
		text.append(buffer, static_cast<std::size_t>(n));
		if (text.size() > maxSize) problem = "it is larger than " + maxSizeText;
	}
	::close(fd);
	if (!problem.empty()) text.clear();
	return text;
}

} // namespace agent
} // namespace asprof
