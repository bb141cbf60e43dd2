//
// DeadlineSocketImpl.h
//
// The TCP socket under every HttpClient connection: each wait ends at the
// request's deadline, however many signals interrupt it (internal to
// asprof-plugin-common).
//

#ifndef Asprof_Plugins_DeadlineSocketImpl_INCLUDED
#define Asprof_Plugins_DeadlineSocketImpl_INCLUDED

#include "Poco/Net/StreamSocketImpl.h"
#include "Poco/Timestamp.h"
#include <memory>

namespace asprof {
namespace plugins {

/// A StreamSocketImpl whose connect, send, receive and poll all end at one
/// deadline, shared by every socket of a connection (a proxy tunnel included)
/// and moved forward by HttpClient before each request.
///
/// Why: Poco's blocking receive retries recv() on EINTR with the full
/// SO_RCVTIMEO, so a thread that async-profiler's wall-clock sampling
/// interrupts more often than that timeout never times out; and a per-read
/// timeout never cuts off a server that drips one byte at a time. Here the
/// descriptor is non-blocking once connected (Poco still sees a blocking
/// socket), every wait is a poll() for the time left until the deadline,
/// recomputed after each interruption, and sends use MSG_NOSIGNAL.
///
/// TLS over it: Poco's SecureSocketImpl reads the descriptor through OpenSSL
/// and, on SSL_ERROR_WANT_READ/WRITE of a socket it believes blocking, waits
/// with poll() -- this class's, so the handshake (lazy, see HttpClient) and
/// every record are bounded by the same deadline.
class DeadlineSocketImpl: public Poco::Net::StreamSocketImpl
{
public:
	using Deadline = std::shared_ptr<Poco::Timestamp>;

	explicit DeadlineSocketImpl(Deadline deadline);

	using Poco::Net::StreamSocketImpl::connect;
	void connect(const Poco::Net::SocketAddress& address) override;

	/// Connects within timeout and the deadline, then makes the descriptor non-blocking.
	void connect(const Poco::Net::SocketAddress& address, const Poco::Timespan& timeout) override;

	using Poco::Net::StreamSocketImpl::sendBytes;

	/// Sends all of buffer, or throws Poco::TimeoutException at the deadline.
	int sendBytes(const void* buffer, int length, int flags = 0) override;

	using Poco::Net::StreamSocketImpl::receiveBytes;

	/// What is there (at least one byte; 0 at the end of the stream), or
	/// Poco::TimeoutException when nothing came before the deadline.
	int receiveBytes(void* buffer, int length, int flags = 0) override;

	/// Waits at most timeout and never past the deadline.
	bool poll(const Poco::Timespan& timeout, int mode) override;

protected:
	~DeadlineSocketImpl() override;

private:
	Poco::Timespan timeLeft() const;

	Deadline _deadline;
};

} // namespace plugins
} // namespace asprof

#endif // Asprof_Plugins_DeadlineSocketImpl_INCLUDED
