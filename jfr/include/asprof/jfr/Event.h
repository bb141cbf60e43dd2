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

class ASPROF_JFR_API Event
	/// An event's type and its top-level field values, in the type's field
	/// order. Valid only during RecordingVisitor::event(): the reader reuses
	/// the storage for the next event.
{
public:
	const Type& type() const
	{
		return *_type;
	}

	std::uint64_t offset() const
		/// Of the event in the input.
	{
		return _offset;
	}

	std::uint64_t size() const
		/// Of the event in the input, in bytes.
	{
		return _size;
	}

	std::size_t fieldCount() const
		/// The type's field count: value(0) to value(fieldCount() - 1).
	{
		return _count;
	}

	const Value& value(int index) const
		/// index from Type::fieldIndex(); a missing field (-1) gives a Null value.
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

class ASPROF_JFR_API RecordingVisitor
	/// Receives a recording chunk by chunk, in file order. For each chunk:
	/// beginChunk() (metadata and constant pools are loaded), then for each
	/// event in order either event() (when wants() said yes for its type) or
	/// skipped(), then endChunk(). The metadata and checkpoint events count
	/// as types jdk.Metadata and jdk.CheckPoint (skipped). Exceptions thrown
	/// by the visitor propagate out of Reader::read() unchanged.
{
public:
	virtual ~RecordingVisitor();

	virtual void beginChunk(const Chunk& chunk);
	virtual bool wants(const Chunk& chunk, const Type& type);
		/// Asked once per type and chunk; the default wants nothing.
	virtual void event(const Chunk& chunk, const Event& event);
	virtual void skipped(const Chunk& chunk, const Type& type, std::uint64_t size);
		/// An event not wanted (size: its bytes in the input).
	virtual void endChunk(const Chunk& chunk);
};

} } // namespace asprof::jfr

#endif // Asprof_Jfr_Event_INCLUDED
