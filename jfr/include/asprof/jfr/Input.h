//
// Input.h
//
// Where a recording comes from: a .jfr file, the Rust agent's .zip, or stdin.
//

#ifndef Asprof_Jfr_Input_INCLUDED
#define Asprof_Jfr_Input_INCLUDED

#include "asprof/jfr/Export.h"
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace asprof {
namespace jfr {

/// An open, seekable recording. open() accepts:
///   - a JFR file;
///   - a zip holding a JFR, as the Rust agent and our reporters upload it
///     (async_profiler_dump_0.jfr + metadata.json), recognised by its
///     content (PK\3\4), not its name; the JFR entry is inflated into an
///     anonymous temporary file;
///   - "-": standard input, copied into an anonymous temporary file first
///     (then a zip on stdin works too).
/// The temporary files are unnamed (O_TMPFILE, else unlinked at once) in
/// $TMPDIR or /tmp and vanish with the Input. Reads use pread() only.
class ASPROF_JFR_API Input
{
public:
	/// Throws JfrError naming path when it cannot be opened or read, is
	/// a directory, or is a zip without a .jfr entry.
	static Input open(const std::string& path);

	/// Takes ownership of an open, seekable descriptor of a JFR file.
	static Input fromDescriptor(int fd, const std::string& name);

	/// Takes ownership of an open, seekable descriptor of a file that holds
	/// a JFR as the length bytes from offset on (complete chunks cut out of
	/// a longer recording, as the agent's chunk switches leave them). Reads
	/// never leave the range; a file shorter than it ends the JFR early.
	static Input fromRange(int fd, std::uint64_t offset, std::uint64_t length, const std::string& name);

	/// One piece of a JFR put together from a file and memory: length
	/// bytes of the file from fileOffset on, or, when bytes is not empty,
	/// bytes themselves (length is then ignored).
	struct Piece
	{
		std::uint64_t fileOffset = 0;
		std::uint64_t length = 0;
		std::string bytes;
	};

	/// A JFR that is its pieces one after the other: the agent inserts
	/// events into a chunk cut out of a longer recording, and patches its
	/// header, without copying the chunk. Takes ownership of fd unless
	/// ownsDescriptor is false (then fd must outlive the Input). A file
	/// shorter than a piece ends the JFR there.
	static Input fromPieces(int fd, std::vector<Piece> pieces, const std::string& name, bool ownsDescriptor = true);

	Input(Input&& other) noexcept;
	Input& operator=(Input&& other) noexcept;
	Input(const Input&) = delete;
	Input& operator=(const Input&) = delete;
	~Input();

	/// For messages: the path, "<stdin>", or "archive.zip:async_profiler_dump_0.jfr".
	const std::string& name() const;

	/// The JFR's size in bytes (for a zip: of the inflated entry).
	std::uint64_t size() const;

	/// Reads up to length bytes at offset; returns fewer only at the end.
	/// Throws JfrError on an I/O error.
	std::size_t read(std::uint64_t offset, void* buffer, std::size_t length) const;

private:
	Input(int fd, const std::string& name, bool owned = true);

	int _fd = -1;
	std::string _name;
	std::uint64_t _size = 0;
	std::uint64_t _base = 0; ///< where the JFR starts in the file
	bool _owned = true;
	std::vector<Piece> _pieces;         ///< empty: the file from _base on
	std::vector<std::uint64_t> _starts; ///< where each piece starts in the JFR
};

} // namespace jfr
} // namespace asprof

#endif // Asprof_Jfr_Input_INCLUDED
