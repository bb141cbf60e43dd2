#include "RecordingTap.h"
#include "ChunkRecording.h"
#include "FileRecording.h"
#include "Poco/Exception.h"
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace asprof {
namespace agent {

RecordingTap::RecordingTap(RecordingSink& next): _next(next)
{
}

void RecordingTap::accept(FinishedRecording&& finished)
{
	{
		Poco::FastMutex::ScopedLock lock(_mutex);
		if (_capturing && _captured.size() < MAX_CAPTURED)
			_captured.push_back(finished); // shares the file
		else if (_capturing)
			_overflowed = true;
	}
	if (_observer)
	{
		try
		{
			_observer(finished);
		}
		catch (...)
		{
			// The observer counts its own failures; delivery must go on.
		}
	}
	_next.accept(std::move(finished));
}

void RecordingTap::setObserver(Observer observer)
{
	_observer = std::move(observer);
}

void RecordingTap::beginCapture()
{
	Poco::FastMutex::ScopedLock lock(_mutex);
	_captured.clear();
	_overflowed = false;
	_capturing = true;
}

std::vector<FinishedRecording> RecordingTap::endCapture(bool* overflowed)
{
	Poco::FastMutex::ScopedLock lock(_mutex);
	_capturing = false;
	if (overflowed) *overflowed = _overflowed;
	std::vector<FinishedRecording> captured;
	captured.swap(_captured);
	return captured;
}

} // namespace agent
} // namespace asprof

namespace asprof {
namespace agent {

jfr::Input openForReading(const FinishedRecording& finished)
{
	if (auto* chunks = dynamic_cast<const ChunkRecording*>(finished.recording.get()))
	{
		// A range of a file async-profiler goes on writing: read in place,
		// never past the range (async-profiler only appends after it).
		std::vector<jfr::Input::Piece> pieces = chunks->pieces(); // before the descriptor: may throw
		int fd = ::fcntl(chunks->fd(), F_DUPFD_CLOEXEC, 0);
		if (fd < 0) throw Poco::SystemException("cannot read recording " + std::to_string(finished.seq) + ": " + std::strerror(errno));
		return jfr::Input::fromPieces(fd, std::move(pieces), "recording " + std::to_string(finished.seq));
	}
	auto* file = dynamic_cast<const FileRecording*>(finished.recording.get());
	if (!file || file->fd() < 0) throw Poco::IllegalStateException("recording " + std::to_string(finished.seq) + " is not an open file");
	int fd = ::fcntl(file->fd(), F_DUPFD_CLOEXEC, 0);
	if (fd < 0) throw Poco::SystemException("cannot read recording " + std::to_string(finished.seq) + ": " + std::strerror(errno));
	return jfr::Input::fromDescriptor(fd, "recording " + std::to_string(finished.seq));
}

} // namespace agent
} // namespace asprof
