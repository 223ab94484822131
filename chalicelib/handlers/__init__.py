"""One Chalice blueprint per area: parse, call one service function, serialize."""
