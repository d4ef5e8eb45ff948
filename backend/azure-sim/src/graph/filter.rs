//! A small parser for the OData `$filter` expressions the audit-log endpoints understand:
//! comparisons joined by `and`, optionally in parentheses, `startswith(property,'text')` and
//! `collection/any(t: t/property eq 'text')`. Dates are unquoted RFC 3339 literals, strings are
//! single-quoted with `''` for a quote. Anything else (`or`, `not`, functions the simulator
//! does not know) is refused, as Graph refuses what an endpoint does not support.

use chrono::{DateTime, Utc};

/// A comparison operator.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CmpOp {
    Eq,
    Ge,
    Gt,
    Le,
    Lt,
}

impl CmpOp {
    fn parse(word: &str) -> Option<CmpOp> {
        match word.to_ascii_lowercase().as_str() {
            "eq" => Some(CmpOp::Eq),
            "ge" => Some(CmpOp::Ge),
            "gt" => Some(CmpOp::Gt),
            "le" => Some(CmpOp::Le),
            "lt" => Some(CmpOp::Lt),
            _ => None,
        }
    }

    /// Whether `value <op> bound` holds.
    pub fn holds<T: PartialOrd>(self, value: &T, bound: &T) -> bool {
        match self {
            CmpOp::Eq => value == bound,
            CmpOp::Ge => value >= bound,
            CmpOp::Gt => value > bound,
            CmpOp::Le => value <= bound,
            CmpOp::Lt => value < bound,
        }
    }
}

/// How a string property is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextOp {
    Eq,
    StartsWith,
}

impl TextOp {
    /// Case-insensitive, as the directory compares names.
    pub fn holds(self, value: &str, wanted: &str) -> bool {
        let value = value.to_lowercase();
        let wanted = wanted.to_lowercase();
        match self {
            TextOp::Eq => value == wanted,
            TextOp::StartsWith => value.starts_with(&wanted),
        }
    }
}

/// One clause of a conjunction.
#[derive(Debug, Clone, PartialEq)]
pub enum Clause {
    /// `property op 2024-01-01T00:00:00Z`
    Time {
        property: String,
        op: CmpOp,
        at: DateTime<Utc>,
    },
    /// `property eq 'text'` or `startswith(property,'text')`
    Text {
        property: String,
        op: TextOp,
        value: String,
    },
    /// `collection/any(t: t/property eq 'text')`
    Any {
        collection: String,
        property: String,
        op: TextOp,
        value: String,
    },
}

#[derive(Debug, Clone, PartialEq)]
enum Token {
    Word(String),
    Text(String),
    Open,
    Close,
    Comma,
}

fn tokenize(input: &str) -> Result<Vec<Token>, String> {
    let mut tokens = Vec::new();
    let mut chars = input.chars().peekable();
    while let Some(&c) = chars.peek() {
        match c {
            c if c.is_whitespace() => {
                chars.next();
            }
            '(' => {
                chars.next();
                tokens.push(Token::Open);
            }
            ')' => {
                chars.next();
                tokens.push(Token::Close);
            }
            ',' => {
                chars.next();
                tokens.push(Token::Comma);
            }
            '\'' => {
                chars.next();
                let mut text = String::new();
                loop {
                    match chars.next() {
                        Some('\'') if chars.peek() == Some(&'\'') => {
                            chars.next();
                            text.push('\'');
                        }
                        Some('\'') => break,
                        Some(c) => text.push(c),
                        None => return Err("a string literal is not closed".into()),
                    }
                }
                tokens.push(Token::Text(text));
            }
            _ => {
                let mut word = String::new();
                while let Some(&c) = chars.peek() {
                    if c.is_whitespace() || matches!(c, '(' | ')' | ',' | '\'') {
                        break;
                    }
                    word.push(c);
                    chars.next();
                }
                tokens.push(Token::Word(word));
            }
        }
    }
    Ok(tokens)
}

struct Parser {
    tokens: Vec<Token>,
    position: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.position).cloned();
        self.position += 1;
        token
    }

    fn expect(&mut self, wanted: Token, what: &str) -> Result<(), String> {
        match self.next() {
            Some(token) if token == wanted => Ok(()),
            _ => Err(format!("expected {what}")),
        }
    }

    fn word(&mut self, what: &str) -> Result<String, String> {
        match self.next() {
            Some(Token::Word(word)) => Ok(word),
            _ => Err(format!("expected {what}")),
        }
    }

    fn text(&mut self) -> Result<String, String> {
        match self.next() {
            Some(Token::Text(text)) => Ok(text),
            _ => Err("expected a quoted string".into()),
        }
    }

    /// expression := term ("and" term)*
    fn expression(&mut self, clauses: &mut Vec<Clause>) -> Result<(), String> {
        self.term(clauses)?;
        loop {
            match self.peek() {
                Some(Token::Word(word)) if word.eq_ignore_ascii_case("and") => {
                    self.next();
                    self.term(clauses)?;
                }
                Some(Token::Word(word)) if word.eq_ignore_ascii_case("or") => {
                    return Err("'or' is not supported".into())
                }
                _ => return Ok(()),
            }
        }
    }

    fn term(&mut self, clauses: &mut Vec<Clause>) -> Result<(), String> {
        match self.next() {
            Some(Token::Open) => {
                self.expression(clauses)?;
                self.expect(Token::Close, "')'")
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("not") => {
                Err("'not' is not supported".into())
            }
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("startswith") => {
                let (property, value) = self.startswith_arguments()?;
                clauses.push(Clause::Text {
                    property,
                    op: TextOp::StartsWith,
                    value,
                });
                Ok(())
            }
            Some(Token::Word(word)) if word.to_ascii_lowercase().ends_with("/any") => {
                let collection = word[..word.len() - "/any".len()].to_owned();
                clauses.push(self.lambda(collection)?);
                Ok(())
            }
            Some(Token::Word(property)) => {
                let op_word = self.word("a comparison operator")?;
                let Some(op) = CmpOp::parse(&op_word) else {
                    return Err(format!("unsupported operator '{op_word}'"));
                };
                match self.next() {
                    Some(Token::Text(value)) => match op {
                        CmpOp::Eq => {
                            clauses.push(Clause::Text {
                                property,
                                op: TextOp::Eq,
                                value,
                            });
                            Ok(())
                        }
                        _ => Err(format!(
                            "'{op_word}' does not apply to the string compared with {property}"
                        )),
                    },
                    Some(Token::Word(literal)) => {
                        let at = DateTime::parse_from_rfc3339(&literal)
                            .map_err(|_| {
                                format!("'{literal}' is not a date and time (RFC 3339, unquoted)")
                            })?
                            .with_timezone(&Utc);
                        clauses.push(Clause::Time { property, op, at });
                        Ok(())
                    }
                    _ => Err(format!("expected a value after '{op_word}'")),
                }
            }
            _ => Err("expected a comparison".into()),
        }
    }

    /// `(property, 'text')`
    fn startswith_arguments(&mut self) -> Result<(String, String), String> {
        self.expect(Token::Open, "'(' after startswith")?;
        let property = self.word("a property name")?;
        self.expect(Token::Comma, "','")?;
        let value = self.text()?;
        self.expect(Token::Close, "')'")?;
        Ok((property, value))
    }

    /// `(t: t/property eq 'text')` or `(t: startswith(t/property, 'text'))`
    fn lambda(&mut self, collection: String) -> Result<Clause, String> {
        self.expect(Token::Open, "'(' after any")?;
        let head = self.word("a lambda variable")?;
        let (variable, rest) = match head.split_once(':') {
            Some((variable, rest)) => (variable.to_owned(), rest.to_owned()),
            None => {
                let colon = self.word("':' after the lambda variable")?;
                let Some(rest) = colon.strip_prefix(':') else {
                    return Err("expected ':' after the lambda variable".into());
                };
                (head, rest.to_owned())
            }
        };
        if variable.is_empty() {
            return Err("the lambda variable is empty".into());
        }
        if !rest.is_empty() {
            // `t:t/id eq 'x'` with no space after the colon.
            self.tokens.insert(self.position, Token::Word(rest));
        }
        let strip = |path: &str| -> Result<String, String> {
            path.strip_prefix(&format!("{variable}/"))
                .map(str::to_owned)
                .ok_or_else(|| format!("'{path}' does not use the lambda variable '{variable}'"))
        };
        let (property, op, value) = match self.next() {
            Some(Token::Word(word)) if word.eq_ignore_ascii_case("startswith") => {
                let (path, value) = self.startswith_arguments()?;
                (strip(&path)?, TextOp::StartsWith, value)
            }
            Some(Token::Word(path)) => {
                let op = self.word("eq")?;
                if !op.eq_ignore_ascii_case("eq") {
                    return Err(format!("unsupported operator '{op}' in any()"));
                }
                (strip(&path)?, TextOp::Eq, self.text()?)
            }
            _ => return Err("expected a comparison in any()".into()),
        };
        self.expect(Token::Close, "')' closing any()")?;
        Ok(Clause::Any {
            collection,
            property,
            op,
            value,
        })
    }
}

/// Parses a conjunction of clauses.
pub fn parse(filter: &str) -> Result<Vec<Clause>, String> {
    let mut parser = Parser {
        tokens: tokenize(filter)?,
        position: 0,
    };
    if parser.tokens.is_empty() {
        return Err("the filter is empty".into());
    }
    let mut clauses = Vec::new();
    parser.expression(&mut clauses)?;
    if parser.position < parser.tokens.len() {
        return Err("unexpected text after the expression".into());
    }
    Ok(clauses)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn dates_joined_by_and() {
        let clauses = parse(
            "createdDateTime ge 2024-01-01T00:00:00Z and (createdDateTime lt 2024-01-02T00:00:00.5+01:00)",
        )
        .unwrap();
        assert_eq!(
            clauses,
            vec![
                Clause::Time {
                    property: "createdDateTime".into(),
                    op: CmpOp::Ge,
                    at: at("2024-01-01T00:00:00Z")
                },
                Clause::Time {
                    property: "createdDateTime".into(),
                    op: CmpOp::Lt,
                    at: at("2024-01-01T23:00:00.5Z")
                }
            ]
        );
    }

    #[test]
    fn strings_functions_and_lambdas() {
        let clauses = parse("initiatedBy/user/userPrincipalName eq 'o''brien@contoso.com' and startswith(activityDisplayName, 'Update') and targetResources/any(t:t/id eq 'abc')").unwrap();
        assert_eq!(
            clauses,
            vec![
                Clause::Text {
                    property: "initiatedBy/user/userPrincipalName".into(),
                    op: TextOp::Eq,
                    value: "o'brien@contoso.com".into()
                },
                Clause::Text {
                    property: "activityDisplayName".into(),
                    op: TextOp::StartsWith,
                    value: "Update".into()
                },
                Clause::Any {
                    collection: "targetResources".into(),
                    property: "id".into(),
                    op: TextOp::Eq,
                    value: "abc".into()
                }
            ]
        );
        assert_eq!(
            parse("targetResources/any(x : x/displayName eq 'p')").unwrap(),
            vec![Clause::Any {
                collection: "targetResources".into(),
                property: "displayName".into(),
                op: TextOp::Eq,
                value: "p".into()
            }]
        );
    }

    #[test]
    fn malformed_filters_are_refused() {
        for bad in [
            "",
            "createdDateTime",
            "createdDateTime ge",
            "createdDateTime ge '2024-01-01T00:00:00Z'",
            "createdDateTime ge 2024-01-01",
            "createdDateTime ge 2024-01-01T00:00:00Z or createdDateTime le 2024-01-02T00:00:00Z",
            "createdDateTime ne 2024-01-01T00:00:00Z",
            "not createdDateTime ge 2024-01-01T00:00:00Z",
            "(createdDateTime ge 2024-01-01T00:00:00Z",
            "createdDateTime ge 2024-01-01T00:00:00Z extra",
            "userPrincipalName eq 'unterminated",
            "targetResources/any(t: s/id eq 'x')",
        ] {
            assert!(parse(bad).is_err(), "{bad:?} parsed");
        }
    }
}
