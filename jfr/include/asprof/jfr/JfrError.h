//
// JfrError.h
//
// The one exception type the JFR library throws for bad input.
//

#ifndef Asprof_Jfr_JfrError_INCLUDED
#define Asprof_Jfr_JfrError_INCLUDED

#include "asprof/jfr/Export.h"
#include "Poco/Exception.h"
#include <cstdint>
#include <string>

namespace asprof {
namespace jfr {

/// Input that is not a readable async-profiler JFR recording: garbage, a
/// truncated chunk, a size or offset past the end, a cycle or too deep a
/// nesting in the metadata, an absurd count, an unreadable file. The
/// message names the input, the chunk (1-based) and the byte offset in
/// the input where the problem is:
///   "big.jfr: chunk 2 at byte 40960: event size 9999999 runs past the chunk's end (byte 51200)"
/// Every function of this library that reads input throws JfrError and
/// nothing else for bad input (std::bad_alloc only when memory runs out
/// on good input).
class ASPROF_JFR_API JfrError: public Poco::DataFormatException
{
public:
	/// chunk 0 means "not inside a chunk" (e.g. the file cannot be opened).
	JfrError(const std::string& input, int chunk, std::uint64_t offset, const std::string& problem);

	JfrError(const JfrError& other);
	~JfrError() noexcept override;
	JfrError& operator=(const JfrError& other);

	const char* name() const noexcept override;
	const char* className() const noexcept override;
	Poco::Exception* clone() const override;
	void rethrow() const override;

	const std::string& input() const;
	int chunk() const;
	std::uint64_t offset() const;
	const std::string& problem() const;

private:
	std::string _input;
	int _chunk;
	std::uint64_t _offset;
	std::string _problem;
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_JfrError_INCLUDED
