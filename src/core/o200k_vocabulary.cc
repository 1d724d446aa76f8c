// The embedded o200k_base vocabulary (see token_counter.cc).
