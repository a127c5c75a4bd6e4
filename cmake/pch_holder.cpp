// The one source of the targets that compile qkv's precompiled headers
// (cmake/precompiled_headers.cmake); it has no code of its own.
