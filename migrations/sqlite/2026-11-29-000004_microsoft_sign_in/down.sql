DROP TABLE microsoft_handoffs;
DROP TABLE microsoft_logins;
