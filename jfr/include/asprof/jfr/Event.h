//
// Event.h
//
// One decoded event, and what receives the events of a recording.
//

#ifndef Asprof_Jfr_Event_INCLUDED
#define Asprof_Jfr_Event_INCLUDED

#include "asprof/jfr/Chunk.h"
#include "asprof/jfr/Export.h"
#include "asprof/jfr/Value.h"
#include <cstdint>
#include <vector>

namespace asprof {
namespace jfr {

/// An event's type and its top-level field values, in the type's field
/// order. Valid only during RecordingVisitor::event(): the reader reuses
/// the storage for the next event.
class ASPROF_JFR_API Event
{
public:
	const Type& type() const
	{
		return *_type;
	}

	/// Of the event in the input.
	std::uint64_t offset() const
	{
		return _offset;
	}

	/// Of the event in the input, in bytes.
	std::uint64_t size() const
	{
		return _size;
	}

	/// The type's field count: value(0) to value(fieldCount() - 1).
	std::size_t fieldCount() const
	{
		return _count;
	}

	/// index from Type::fieldIndex(); a missing field (-1) gives a Null value.
	const Value& value(int index) const
	{
		static const Value NONE;
		return index < 0 || static_cast<std::size_t>(index) >= _count ? NONE : _values[static_cast<std::size_t>(index)];
	}

private:
	friend class Reader;

	const Type* _type = nullptr;
	std::uint64_t _offset = 0;
	std::uint64_t _size = 0;
	std::size_t _count = 0;
	std::vector<Value> _values; ///< never shrinks: its strings keep their capacity
};

/// Receives a recording chunk by chunk, in file order. For each chunk:
/// beginChunk() (metadata and constant pools are loaded), then for each
/// event in order either event() (when wants() said yes for its type) or
/// skipped(), then endChunk(). The metadata and checkpoint events count
/// as types jdk.Metadata and jdk.CheckPoint (skipped). Exceptions thrown
/// by the visitor propagate out of Reader::read() unchanged.
class ASPROF_JFR_API RecordingVisitor
{
public:
	virtual ~RecordingVisitor();

	virtual void beginChunk(const Chunk& chunk);

	/// Asked once per type and chunk; the default wants nothing.
	virtual bool wants(const Chunk& chunk, const Type& type);
	virtual void event(const Chunk& chunk, const Event& event);

	/// An event not wanted (size: its bytes in the input).
	virtual void skipped(const Chunk& chunk, const Type& type, std::uint64_t size);
	virtual void endChunk(const Chunk& chunk);
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Event_INCLUDED
