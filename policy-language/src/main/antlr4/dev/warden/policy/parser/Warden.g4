// The Warden policy language. This grammar is the final word on syntax; docs/language.md
// explains it. Only dev.warden.policy.parser sees the generated classes.
grammar Warden;

@lexer::members {
  /**
   * Whether blanks and then the word `permit`, `forbid` or `quota` follow: only there is
   * `shadow` a keyword. Everywhere else it lexes as a name.
   */
  private boolean beforeEffect() {
    int i = 1;
    int c = _input.LA(i);
    if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
      return false;
    }
    while (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      c = _input.LA(++i);
    }
    for (String word : new String[] {"permit", "forbid", "quota"}) {
      int j = 0;
      while (j < word.length() && _input.LA(i + j) == word.charAt(j)) {
        j++;
      }
      int next = _input.LA(i + j);
      if (j == word.length() && !(Character.isLetterOrDigit(next) || next == '_')) {
        return true;
      }
    }
    return false;
  }
}

file
  : packageDecl? decl* EOF
  ;

packageDecl
  : PACKAGE qualifiedName
  ;

decl
  : principalDecl
  | apiDecl
  | roleDecl
  | ruleDecl
  | dataDecl
  | testDecl
  | obligationDecl
  | redactLogDecl
  | schemaDecl
  | quotaDecl
  | reservedDecl
  ;

// ---- identity -----------------------------------------------------------------------------
principalDecl
  : PRINCIPAL LBRACE principalField* RBRACE
  ;

principalField
  : name=IDENT (COLON type)? ASSIGN source=expr
  ;

// ---- API registry -------------------------------------------------------------------------
apiDecl
  : API title=STRING (OWNER owner=STRING)? LBRACE routeDecl* RBRACE
  ;

routeDecl
  : ROUTE name=IDENT method=httpMethod path=PATH lifecycle*
  ;

lifecycle
  : SINCE DATE        # sinceClause
  | RETIRED DATE      # retiredClause
  ;

httpMethod
  : GET | POST | PUT | PATCH | DELETE | HEAD | OPTIONS
  ;

// ---- RBAC ---------------------------------------------------------------------------------
roleDecl
  : ROLE name=IDENT (EXTENDS parents+=IDENT (COMMA parents+=IDENT)*)? LBRACE grant* RBRACE
  ;

grant
  : ALLOW targets condition*
  ;

// ---- rules --------------------------------------------------------------------------------
// `shadow forbid …` and `shadow permit …` are tried, never enforced: the decision records what
// they would have changed. `shadow` is a keyword only right before `permit` or `forbid` (see
// SHADOW), so that it stays free to name routes, fields and data.
ruleDecl
  : shadow=SHADOW? effect=(PERMIT | FORBID) label=STRING? targets condition* (BECAUSE reason=STRING)?
  ;

condition
  : WHEN expr      # whenCondition
  | UNLESS expr    # unlessCondition
  ;

targets
  : target (COMMA target)*
  ;

target
  : STAR                         # anyTarget
  | qualifiedName (DOT STAR)?    # namedTarget
  | httpMethod? PATH             # pathTarget
  ;

// ---- obligations --------------------------------------------------------------------------
// `on allow orders.* { set header "x-user-id" = principal.id; remove header "x-internal-*" }`.
// Without targets a block covers every route of its package.
obligationDecl
  : ON outcome=(ALLOW | DENY) targets? LBRACE obligation* RBRACE
  ;

// `set header "…" = e`, `append header "…" = e`, `remove header "…"`, `set response header "…" = e`.
// The words are names, not keywords, so that `set`, `remove` or `header` stay free to name
// routes, fields and data; the AST builder says which words it expects.
obligation
  : verb=IDENT words+=IDENT+ name=STRING (ASSIGN value=expr)? SEMI?
  ;

// ---- data ---------------------------------------------------------------------------------
dataDecl
  : DATA name=IDENT COLON type
  ;

type
  : type QUESTION                                        # optionalType
  | name=IDENT (LT type (COMMA type)* GT)?               # namedType
  | LBRACE (fieldType (COMMA fieldType)*)? COMMA? RBRACE # recordType
  ;

fieldType
  : (word | STRING) QUESTION? COLON type
  ;

// ---- tests --------------------------------------------------------------------------------
// `repeat 5 { request … expect … }` sends the same exchange 5 times; `wait 30s` moves the test's
// clock on. `repeat` and `wait` are names, not keywords; the AST builder checks the word.
testDecl
  : TEST name=STRING LBRACE testStep* RBRACE
  ;

testStep
  : REQUEST httpMethod PATH requestOption*                   # requestStep
  | DATA name=IDENT (LBRACK key=expr RBRACK)? ASSIGN value=expr # dataStep
  | EXPECT shadow=IDENT? ALLOW headerExpect*                  # expectAllow
  | EXPECT shadow=IDENT? DENY INT? (BY ruleRef)? (REASON STRING)? headerExpect* # expectDeny
  | step=IDENT INT LBRACE testStep* RBRACE                     # repeatStep
  | step=IDENT DURATION                                       # waitStep
  ;

// `with header "x-user-id" = "alice"`, `without header "x-debug"`, `and response header "…"`:
// `with`, `without` and `header` are names, as in obligations.
headerExpect
  : kind=(IDENT | AND) words+=IDENT+ name=STRING (ASSIGN value=STRING)?
  ;

requestOption
  : AS ANONYMOUS          # asAnonymous
  | AS expr               # asClaims
  | PEER STRING           # peerOption
  | AT DATE               # atOption
  | FROM STRING           # fromOption
  | HEADERS expr          # headersOption
  | option=IDENT expr     # bodyOption
  ;

// `orders.forbid#1`, `orders.owner-only`, `role.admin#2`: words joined by `.` and `-`.
ruleRef
  : word ((DOT | MINUS) word)* (HASH INT)?
  | STRING
  ;

// ---- decision-log redaction ----------------------------------------------------------------
// `redact log { request.headers.authorization, request.query.email hash }`: fields of the
// decision record rewritten before it leaves the process. `log` is a name, not a keyword; the
// predicate keeps `redact` followed by anything else (response redaction) a reserved block.
redactLogDecl
  : {_input.LT(2).getText().equals("log")}? REDACT IDENT LBRACE (redactEntry COMMA?)* RBRACE
  ;

// A path into the record and an optional action (`hash`, `last4`, `mask`, `remove`), which the
// checker reads; entries are separated by commas or by nothing (a new line).
redactEntry
  : root=word redactStep* action=IDENT?
  ;

redactStep
  : DOT redactName              # redactField
  | LBRACK STRING RBRACK        # redactKey
  ;

// `x-user-email`: words and numbers joined by `-`, written without blanks (the AST builder checks).
redactName
  : word (MINUS (word | INT))*
  ;

// ---- request schemas -----------------------------------------------------------------------

// `schema create { body {…} query {…} headers {…} limits {…} additional allow }`: what requests
// to the covered routes must look like. The item words (`body`, `query`, `limits`,
// `additional`) are names, not keywords; the AST builder says which are items.
schemaDecl
  : SCHEMA targets LBRACE schemaItem* RBRACE
  ;

schemaItem
  : HEADERS shape                                            # schemaHeaders
  | item=IDENT format=IDENT path=STRING                      # schemaFile
  | item=IDENT LBRACE (limit (COMMA limit)*)? COMMA? RBRACE  # schemaLimits
  | item=IDENT ALLOW                                         # schemaAllow
  | item=IDENT format=IDENT shape                            # schemaFormatted
  | item=IDENT shape                                         # schemaShape
  ;

limit
  : name=IDENT value=INT unit=IDENT?
  ;

// A shape: a type with the constraints a request value must meet.
shape
  : shape QUESTION                                                  # optionalShape
  | STRING (PIPE STRING)*                                           # enumShape
  | LBRACE (shapeField (COMMA shapeField)*)? COMMA? RBRACE          # recordShape
  | name=IDENT (LT shape (COMMA shape)* GT)? bounds? (MATCHES pattern=STRING)?  # namedShape
  ;

shapeField
  : (word | STRING) QUESTION? COLON shape
  ;

bounds
  : LPAREN lo=bound? DOT DOT hi=bound? RPAREN
  ;

bound
  : MINUS? (INT | DECIMAL)
  ;

// ---- quotas --------------------------------------------------------------------------------
// `quota per_user on orders.* : 100 per 1m burst 20 by principal.id when … cost … scope global
// fallback local 0.5`, and `shadow quota …`: a token bucket per key. The clause words (`per`,
// `burst`, `scope`, `fallback`, `cost`) are names, not keywords; the AST builder says which it expects.
quotaDecl
  : shadow=SHADOW? QUOTA name=IDENT ON targets COLON amount=INT per=IDENT period=DURATION quotaClause*
  ;

quotaClause
  : BY key=expr                               # quotaKey
  | condition                                 # quotaCondition
  | item=IDENT value=INT                      # quotaNumber
  | item=IDENT way=IDENT share=DECIMAL?       # quotaMode
  | item=IDENT cost=expr                      # quotaCost
  ;

// ---- constructs of later waves: parsed so the checker can say they are not supported yet ----
reservedDecl
  : kw=LOOKUP reservedItem*
  | {!_input.LT(2).getText().equals("log")}? kw=REDACT reservedItem*
  ;

// At the top level a declaration keyword ends the block, except as the root of a path
// (`by principal.id`) and `on` before a target (`quota q on orders.*`); inside braces anything
// goes.
reservedItem
  : LBRACE reservedBody* RBRACE
  | (PRINCIPAL | DATA) DOT
  | ON (IDENT | STAR)
  | ~(LBRACE | RBRACE | PACKAGE | PRINCIPAL | API | ROLE | PERMIT | FORBID | DATA | TEST
      | SCHEMA | QUOTA | REDACT | LOOKUP | ON)
  ;

reservedBody
  : LBRACE reservedBody* RBRACE
  | ~(LBRACE | RBRACE)
  ;

// ---- expressions, from tightest to loosest ------------------------------------------------
expr
  : primary                                              # primaryExpr
  | expr DOT word LPAREN arguments? RPAREN               # methodExpr
  | expr DOT word                                        # memberExpr
  | expr LBRACK expr RBRACK                              # indexExpr
  | MINUS expr                                           # negateExpr
  | expr QUESTION expr                                   # defaultExpr
  | expr op=(PLUS | MINUS) expr                          # additiveExpr
  | expr op=(EQ | NE | LT | LE | GT | GE | ASSIGN) expr  # compareExpr
  | expr NOT? IN expr                                    # inExpr
  | expr IS IDENT                                        # isExpr
  | expr MATCHES STRING                                  # matchesExpr
  | HAS expr                                             # hasExpr
  | NOT expr                                             # notExpr
  | expr AND expr                                        # andExpr
  | expr OR expr                                         # orExpr
  | quantifier=(ANY | ALL) IDENT IN expr COLON expr      # quantifierExpr
  ;

primary
  : STRING                                               # stringLiteral
  | INT                                                  # intLiteral
  | DECIMAL                                              # decimalLiteral
  | DURATION                                             # durationLiteral
  | DATE                                                 # timeLiteral
  | (TRUE | FALSE)                                       # boolLiteral
  | IDENT LPAREN arguments? RPAREN                       # callExpr
  | name=(IDENT | PRINCIPAL | REQUEST | DATA)             # nameExpr
  | LPAREN expr RPAREN                                   # parenExpr
  | LBRACK (expr (COMMA expr)* COMMA?)? RBRACK           # listLiteral
  | LBRACE (fieldInit (COMMA fieldInit)* COMMA?)? RBRACE # recordLiteral
  ;

arguments
  : expr (COMMA expr)*
  ;

fieldInit
  : (word | STRING) COLON expr
  ;

qualifiedName
  : IDENT (DOT IDENT)*
  ;

// Any word, keywords included: member names (`principal.anonymous`, `order.owner`) and
// record fields may be spelled like keywords.
word
  : IDENT | PACKAGE | PRINCIPAL | API | OWNER | ROUTE | SINCE | RETIRED | ROLE | EXTENDS
  | ALLOW | DENY | PERMIT | FORBID | WHEN | UNLESS | BECAUSE | DATA | TEST | REQUEST | EXPECT
  | BY | REASON | AS | ANONYMOUS | PEER | AT | FROM | HEADERS | SCHEMA | QUOTA | REDACT
  | LOOKUP | ON | AND | OR | NOT | IN | IS | HAS | MATCHES | ANY | ALL | TRUE | FALSE
  ;

// ---- lexer --------------------------------------------------------------------------------
PACKAGE   : 'package';
PRINCIPAL : 'principal';
API       : 'api';
OWNER     : 'owner';
ROUTE     : 'route';
SINCE     : 'since';
RETIRED   : 'retired';
ROLE      : 'role';
EXTENDS   : 'extends';
ALLOW     : 'allow';
DENY      : 'deny';
PERMIT    : 'permit';
FORBID    : 'forbid';
SHADOW    : 'shadow' {beforeEffect()}?;
WHEN      : 'when';
UNLESS    : 'unless';
BECAUSE   : 'because';
DATA      : 'data';
TEST      : 'test';
REQUEST   : 'request';
EXPECT    : 'expect';
BY        : 'by';
REASON    : 'reason';
AS        : 'as';
ANONYMOUS : 'anonymous';
PEER      : 'peer';
AT        : 'at';
FROM      : 'from';
HEADERS   : 'headers';
SCHEMA    : 'schema';
QUOTA     : 'quota';
REDACT    : 'redact';
LOOKUP    : 'lookup';
ON        : 'on';
AND       : 'and';
OR        : 'or';
NOT       : 'not';
IN        : 'in';
IS        : 'is';
HAS       : 'has';
MATCHES   : 'matches';
ANY       : 'any';
ALL       : 'all';
TRUE      : 'true';
FALSE     : 'false';
GET       : 'GET';
POST      : 'POST';
PUT       : 'PUT';
PATCH     : 'PATCH';
DELETE    : 'DELETE';
HEAD      : 'HEAD';
OPTIONS   : 'OPTIONS';

LBRACE   : '{';
RBRACE   : '}';
LBRACK   : '[';
RBRACK   : ']';
LPAREN   : '(';
RPAREN   : ')';
COMMA    : ',';
SEMI     : ';';
COLON    : ':';
DOT      : '.';
HASH     : '#';
QUESTION : '?';
PIPE     : '|';
STAR     : '*';
PLUS     : '+';
MINUS    : '-';
EQ       : '==';
NE       : '!=';
LE       : '<=';
GE       : '>=';
LT       : '<';
GT       : '>';
ASSIGN   : '=';

DATE     : DIGIT DIGIT DIGIT DIGIT '-' DIGIT DIGIT '-' DIGIT DIGIT
           ('T' DIGIT DIGIT ':' DIGIT DIGIT (':' DIGIT DIGIT ('.' DIGIT+)?)? ('Z' | [+-] DIGIT DIGIT ':' DIGIT DIGIT))?
         ;
DURATION : (DIGIT+ ('ms' | 's' | 'm' | 'h' | 'd'))+;
DECIMAL  : DIGIT+ '.' DIGIT+;
INT      : DIGIT+;
STRING   : '"' (ESC | ~["\\\r\n])* '"';
IDENT    : [a-zA-Z_] [a-zA-Z_0-9]*;

// `//` starts a comment. The comment rule matches the rest of the line, so it is at least as
// long as any path that starts with `//`; it comes first, so that it also wins the tie of an
// empty comment (`//` alone on a line).
LINE_COMMENT  : '//' ~[\r\n]* -> channel(HIDDEN);

// A path starts with '/' and runs to the next blank.
PATH     : '/' PATH_CHAR*;
WS            : [ \t\r\n]+ -> channel(HIDDEN);

// Anything else is one bad character; the parser reports it with a friendly message.
UNTERMINATED_STRING : '"' (ESC | ~["\\\r\n])*;
BAD_CHAR : .;

fragment DIGIT     : [0-9];
fragment ESC       : '\\' (["\\/bfnrt] | 'u' HEX HEX HEX HEX);
fragment HEX       : [0-9a-fA-F];
fragment PATH_CHAR : [a-zA-Z0-9._~!$&'+;=:@%/{}*?\-];
