DROP TABLE api_tokens;
DROP TABLE refresh_tokens;
DROP TABLE poll_state;
