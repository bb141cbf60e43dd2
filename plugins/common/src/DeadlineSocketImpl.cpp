//
// DeadlineSocketImpl.cpp
//
// Non-blocking I/O behind Poco's blocking interface: every wait is a poll()
// for the time left until the request's deadline.
//

#include "DeadlineSocketImpl.h"
#include "Poco/Exception.h"
#include "Poco/Net/NetException.h"
#include "Poco/Net/Socket.h"
#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>

namespace asprof {
namespace plugins {

namespace {

short pollEvents(int mode)
{
	short events = 0;
	if (mode & Poco::Net::Socket::SELECT_READ) events |= POLLIN;
	if (mode & Poco::Net::Socket::SELECT_WRITE) events |= POLLOUT;
	if (mode & Poco::Net::Socket::SELECT_ERROR) events |= POLLPRI;
	return events;
}

// Milliseconds for poll(), rounded up so that a wait never ends before its time.
int pollMilliseconds(const Poco::Timespan& time)
{
	if (time <= 0) return 0;
	const Poco::Timespan::TimeDiff milliseconds = (time.totalMicroseconds() + 999) / 1000;
	return static_cast<int>(std::min<Poco::Timespan::TimeDiff>(milliseconds, 24 * 3600 * 1000));
}

} // namespace

DeadlineSocketImpl::DeadlineSocketImpl(Deadline deadline): _deadline(std::move(deadline))
{
}

DeadlineSocketImpl::~DeadlineSocketImpl() = default;

void DeadlineSocketImpl::connect(const Poco::Net::SocketAddress& address)
{
	connect(address, timeLeft());
}

void DeadlineSocketImpl::connect(const Poco::Net::SocketAddress& address, const Poco::Timespan& timeout)
{
	// Poco's connect waits with poll() (ours: never past the deadline) and leaves
	// the socket blocking; the descriptor alone becomes non-blocking.
	StreamSocketImpl::connect(address, std::min(timeout, timeLeft()));
	const int flags = ::fcntl(sockfd(), F_GETFL);
	if (flags < 0 || ::fcntl(sockfd(), F_SETFL, flags | O_NONBLOCK) < 0) error(errno);
}

int DeadlineSocketImpl::sendBytes(const void* buffer, int length, int flags)
{
	const char* data = static_cast<const char*>(buffer);
	int left = length;
	while (left > 0)
	{
		if (sockfd() == POCO_INVALID_SOCKET) throw Poco::Net::InvalidSocketException();
		const ssize_t sent = ::send(sockfd(), data, static_cast<std::size_t>(left), flags | MSG_DONTWAIT | MSG_NOSIGNAL);
		if (sent >= 0)
		{
			data += sent;
			left -= static_cast<int>(sent);
			continue;
		}
		if (errno == EINTR) continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) error(errno);
		if (!poll(timeLeft(), SELECT_WRITE)) throw Poco::TimeoutException("the request could not be sent before the deadline");
	}
	return length;
}

int DeadlineSocketImpl::receiveBytes(void* buffer, int length, int flags)
{
	for (;;)
	{
		if (sockfd() == POCO_INVALID_SOCKET) throw Poco::Net::InvalidSocketException();
		const ssize_t received = ::recv(sockfd(), buffer, static_cast<std::size_t>(length), flags | MSG_DONTWAIT);
		if (received >= 0) return static_cast<int>(received);
		if (errno == EINTR) continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) error(errno);
		if (!poll(timeLeft(), SELECT_READ)) throw Poco::TimeoutException("no complete answer before the deadline");
	}
}

bool DeadlineSocketImpl::poll(const Poco::Timespan& timeout, int mode)
{
	if (sockfd() == POCO_INVALID_SOCKET) throw Poco::Net::InvalidSocketException();
	const Poco::Timestamp until = std::min(*_deadline, Poco::Timestamp() + std::max(timeout, Poco::Timespan(0)));
	pollfd descriptor = {sockfd(), pollEvents(mode), 0};
	for (;;)
	{
		const int ready = ::poll(&descriptor, 1, pollMilliseconds(until - Poco::Timestamp()));
		if (ready > 0) return true;
		if (ready == 0 && Poco::Timestamp() >= until) return false;
		if (ready < 0 && errno != EINTR) error(errno);
		// Interrupted (a profiler's signal) or woken early: wait for what is left.
	}
}

Poco::Timespan DeadlineSocketImpl::timeLeft() const
{
	return std::max(Poco::Timespan(*_deadline - Poco::Timestamp()), Poco::Timespan(0));
}

} // namespace plugins
} // namespace asprof
