"""EVAL / EVALSHA / SCRIPT / FUNCTION / FCALL against redis-server 7.0, byte for byte: the Lua API, the
sandbox, type conversions both ways (RESP2 and RESP3, redis.setresp), script flags, read-only scripts,
error texts (with Redis 7.0's "script: <name>, on @user_script:<line>." suffix), the script cache and
function libraries."""

from __future__ import annotations

import pytest


@pytest.fixture
def sdiff(diff):
    """A Differ whose servers have no cached scripts and no function libraries."""
    diff.run(("SCRIPT", "FLUSH"), ("FUNCTION", "FLUSH"))
    return diff


def resp3(diff):
    mine, real = diff.both("HELLO", "3")
    assert mine[:1] == real[:1] == b"%"


def ev(script, *args):
    return ("EVAL", script, "0", *args) if not args else ("EVAL", script, *args)


# -- EVAL: conversions Lua -> Redis -----------------------------------------------------------------

@pytest.mark.parametrize("proto", [2, 3])
def test_lua_to_redis_conversions(sdiff, proto):
    if proto == 3:
        resp3(sdiff)
    sdiff.run(
        ev("return 1"), ev("return 3.99"), ev("return -3.7"), ev("return 1e20"), ev("return 'hello'"),
        ev("return 'a\\0b'"), ev("return true"), ev("return false"), ev("return nil"), ev("return"),
        ev("return {}"), ev("return {1,2,nil,3}"), ev("return {1,{2,{3,'x'}}}"), ev("return {'a', false, 'b'}"),
        ev("return {ok='fine'}"), ev("return {ok='a\\r\\nb'}"), ev("return {err='MY x'}"),
        ev("return {err='MY\\r\\nx'}"), ev("return {err=1}"), ev("return {true,false}"),
        ev("local a = {} a[1] = 'x' a[3] = 'y' return a"), ev("return {double=3.5}"),
        ev("return {double=math.huge}"), ev("return {double=-math.huge}"), ev("return {big_number='123'}"),
        ev("return {map={a=1}}"), ev("return {set={a=true}}"), ev("return {1, {map={x='y'}}, {set={z=true}}}"),
        ev("return {verbatim_string={format='txt', string='hello'}}"), ev("return math.huge"),
        ev("return redis.error_reply('My Error')"), ev("return redis.error_reply('-My Error')"),
        ev("return redis.error_reply('Nospace')"), ev("return redis.error_reply(1)"),
        ev("return redis.status_reply('fine')"), ev("return redis.status_reply(1)"),
        ev("return {redis.error_reply('E1 x'), redis.status_reply('S')}"),
        ev("return print"), ev("return {1, print, 2}"),
    )


@pytest.mark.parametrize("proto", [2, 3])
def test_redis_to_lua_conversions(sdiff, proto):
    if proto == 3:
        resp3(sdiff)
    sdiff.run(
        ("SET", "s", "v"), ("HSET", "h", "a", "1", "b", "2"), ("ZADD", "z", "1.5", "a"), ("LPUSH", "l", "x"),
        ev("return redis.call('get','s')"), ev("return redis.call('get','nokey')"),
        ev("return type(redis.call('get','nokey'))"), ev("return redis.call('incr','n')"),
        ev("return redis.call('hgetall','h')"), ev("return redis.call('ping')"),
        ev("return redis.call('zscore','z','a')"), ev("return redis.call('set','x','y')"),
        ev("return redis.call('get','l')"), ev("return redis.pcall('get','l')"),
        ev("local t = redis.pcall('get','l') return t['err']"),
        ev("redis.setresp(3) return redis.call('hgetall','h')"),
        ev("redis.setresp(3) return redis.call('hgetall','nokey')"),
        ev("redis.setresp(3) return redis.call('zscore','z','a')"),
        ev("redis.setresp(3) return redis.call('zscore','nz','a')"),
        ev("redis.setresp(3) local r = redis.call('zscore','z','a') return r.double"),
        ev("redis.setresp(3) return redis.call('get','nokey')"),
        ev("redis.setresp(3) return redis.call('smembers','nokey')"),
        ev("redis.setresp(3) return {redis.call('exists','s'), redis.call('ping')}"),
        ev("redis.setresp(3) local t = redis.call('hgetall','h') return t.map.a"),
        ev("redis.setresp(2) return redis.call('hgetall','h')"),
        ev("return redis.call('incrbyfloat','fl','1.5')"), ev("return redis.call('set','n2',3.0)"),
        ev("return redis.call('get','n2')"), ev("return redis.call('set','n3',0.1)"),
        ev("return redis.call('get','n3')"), ev("return redis.call('mset','a','1','b','2')"),
        ev("return redis.call('mget','a','nokey','b')"), ev("return redis.call('lrange','l',0,-1)"),
        ev("return redis.call('hgetall','nokey')"),
    )


def test_keys_and_argv(sdiff):
    sdiff.run(
        ("EVAL", "return {KEYS[1],ARGV[1],#KEYS,#ARGV}", "1", "k", "a"),
        ("EVAL", "return {KEYS[1],KEYS[2],ARGV[1],ARGV[2]}", "2", "k1", "k2", "a1", "a2"),
        ("EVAL", "return #ARGV", "0", "x", "y", "z"),
        ("EVAL", "return redis.call('set', KEYS[1], ARGV[1])", "1", "key", "val"),
        ("GET", "key"),
        ("EVAL", "return 1", "2", "k"), ("EVAL", "return 1", "-1"), ("EVAL", "return 1", "x"),
        ("EVAL", "return 1", "1"), ("EVAL", "return 1"), ("EVAL",),
    )


# -- EVAL: errors -------------------------------------------------------------------------------------

def test_script_errors(sdiff):
    sdiff.run(
        ("SET", "x", "a"), ("LPUSH", "l", "a"),
        ev("return a"), ev("a=1"), ev("return redis.call('incr','x','y')"), ev("return redis.call('nosuch')"),
        ev("return redis.call('incr','x')"), ev("error('boom')"), ev("error({err='MY x'})"),
        ev("return 1 + nil"), ev("return ("), ev("return redis.pcall('incr','x')"),
        ev("return redis.call('get', {})"), ev("return redis.call()"), ev("return redis.pcall()"),
        ev("return redis.call('get','l')"), ev("\n\nreturn redis.call('get','l')"),
        ev("local function f() return redis.call('get','l') end\nreturn f()"),
        ev("return pcall(function() error('x') end)"),
        ev("return {pcall(function() redis.call('nosuch') end)}"), ev("return redis.pcall('nosuch')"),
        ev("return {pcall(redis.call, 'get', 'l')}"),
        ev("return redis.call('client','nosuch')"), ev("return redis.call('client')"),
        ev("return string.rep()"), ev("return ('x'):rep(-1, 2, 3, 4)"),
    )


def test_commands_not_allowed_from_scripts(sdiff):
    sdiff.run(
        ev("return redis.call('eval','return 1', 0)"), ev("return redis.call('blpop','q',0)"),
        ev("return redis.call('brpop','q',0)"), ev("return redis.call('subscribe','ch')"),
        ev("return redis.call('multi')"), ev("return redis.call('exec')"), ev("return redis.call('watch','x')"),
        ev("return redis.call('config','get','maxmemory')"), ev("return redis.call('script','flush')"),
        ev("return redis.call('function','flush')"), ev("return redis.call('fcall','f',0)"),
        ev("return redis.pcall('blpop','q',0)"),
    )


def test_sandbox(sdiff):
    sdiff.run(
        ev("return loadfile"), ev("return dofile"), ev("return type(print)"), ev("return tostring(os)"),
        ev("return require"), ev("return getfenv"), ev("return setfenv"), ev("return newproxy"),
        ev("return string.foo"), ev("string.foo=1"), ev("redis.call = nil"), ev("math.x = 1"),
        ev("table.insert = nil"), ev("x = 5"), ev("_G.x = 5"), ev("return _G.KEYS"),
        ev("return type(_G.redis)"), ev("local a = 10 return a"),
        ev("local t = {} for k,v in pairs({a=1}) do t[#t+1]=k end return t"),
        ev("return {type(string), type(table), type(math), type(cjson), type(bit), type(cmsgpack), "
           "type(coroutine), type(redis), type(pcall), type(xpcall), type(unpack), type(select), "
           "type(loadstring), type(tonumber), type(rawget)}"),
        ev("return _VERSION"), ev("return ('x'):upper()"), ev("return #KEYS"),
        ev("return loadstring('return 1')()"),
    )


def test_redis_api(sdiff):
    sdiff.run(
        ev("return redis.sha1hex('')"), ev("return redis.sha1hex('Pizza & Mandolino')"),
        ev("return redis.sha1hex(123)"), ev("return redis.sha1hex()"), ev("return redis.sha1hex('a', 'b')"),
        ev("return redis.REDIS_VERSION"), ev("return redis.REDIS_VERSION_NUM"),
        ev("return redis.log(redis.LOG_WARNING, 'hello from a script')"),
        ev("return redis.log(redis.LOG_DEBUG, 'debug', 1, 2)"), ev("return redis.log()"),
        ev("return redis.log('x','y')"), ev("return redis.log(9,'y')"),
        ev("return {redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING}"),
        ev("return {redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL}"),
        ev("return redis.set_repl(redis.REPL_ALL)"), ev("return redis.set_repl(9)"),
        ev("return redis.set_repl()"), ev("return redis.replicate_commands()"),
        ev("return redis.breakpoint()"), ev("return redis.debug('x')"), ev("redis.setresp(4)"),
        ev("redis.setresp()"), ev("return redis.acl_check_cmd('set','a','b')"),
        ev("return redis.acl_check_cmd('nosuch')"), ev("return redis.acl_check_cmd()"),
        ev("return redis.call('select', 1)"),
    )


def test_select_inside_script(sdiff):
    sdiff.run(
        ("SELECT", "2"), ("SET", "k", "db2"), ev("return redis.call('get', 'k')"),
        ev("redis.call('select', 3); return redis.call('set', 'k', 'db3')"), ("GET", "k"),
        ("SELECT", "3"), ("GET", "k"), ("SELECT", "0"),
    )


def test_libraries(sdiff):
    sdiff.run(
        ev("return cjson.encode({1,2,{a=1}})"), ev("return cjson.encode({a='x/y\"z'})"),
        ev("return cjson.encode('\\1\\n')"), ev("return cjson.encode({})"), ev("return cjson.encode(1.5)"),
        ev("return cjson.decode('[1,2,{\"a\":\"b\"}]')[3].a"), ev("return cjson.decode('{\"a\":[1,2,3]}').a"),
        ev("return cjson.decode('1.5') * 2"), ev("return cjson.decode('\"x\"')"),
        ev("return type(cjson.decode('null'))"), ev("return cjson.decode('[1,2')"),
        ev("return cjson.encode(cjson.decode('{\"k\":\"v\"}'))"),
        ev("return bit.tohex(65535)"), ev("return bit.tohex(-1, -4)"), ev("return bit.bxor(5, 3)"),
        ev("return {bit.band(7, 3), bit.bor(1, 2, 4), bit.bnot(0), bit.lshift(1, 4), bit.rshift(-1, 28), "
           "bit.arshift(-16, 2), bit.rol(1, 33), bit.ror(1, 1), bit.tobit(2^32 + 5), bit.bswap(1)}"),
        ev("local e = cmsgpack.pack({1, 2, 'x', {a=1}}) local t = cmsgpack.unpack(e) return {#e, t[3], t[4].a}"),
        ev("local e = cmsgpack.pack(0.1) local h = '' for i = 1, #e do h = h .. string.format('%02x', e:byte(i)) end "
           "return h"),
        ev("local e = cmsgpack.pack(-1099511627776, 1, 300, -5, 'abc', true, false) local h = '' for i = 1, #e do "
           "h = h .. string.format('%02x', e:byte(i)) end return h"),
        ev("return {cmsgpack.unpack(cmsgpack.pack(1, 'two', 3))}"),
        ev("return {math.random(), math.random(10), math.random(5, 7)}"),
        ev("math.randomseed(42) return {math.random(100), math.random(100)}"),
        ev("return tostring(1/3)"), ev("return string.format('%5.2f', 3.14159)"),
        ev("return table.concat({'a','b','c'}, '-')"), ev("return unpack({1,2,3})"),
        ev("return select('#', 1, 2)"), ev("return tonumber('0x10')"), ev("return string.len('abc')"),
    )


# -- script flags, read-only scripts -----------------------------------------------------------------

def test_shebang_and_read_only(sdiff):
    sdiff.run(
        ("SET", "a", "1"),
        ("EVAL_RO", "return redis.call('set','a','b')", "0"), ("EVAL_RO", "return redis.call('get','a')", "0"),
        ("EVAL_RO", "return redis.call('publish','ch','x')", "0"),
        ("EVAL_RO", "return redis.pcall('set','a','b')", "0"),
        ev("#!lua flags=no-writes\nreturn redis.call('set','a','b')"),
        ev("#!lua flags=no-writes\nreturn redis.call('get','a')"),
        ev("#!lua flags=no-writes,allow-oom\nreturn 1"), ev("#!lua flags=allow-stale,allow-cross-slot-keys\nreturn 2"),
        ev("#!lua flags=no-cluster\nreturn 3"),
        ev("#!lua flags=bogus\nreturn 1"), ev("#!lua flags=no-writes,bogus\nreturn 1"),
        ev("#!lua foo=bar\nreturn 1"), ev("#!python\nreturn 1"), ev("#!lua"), ev("#!lua\nreturn 1"),
        ev("#!lua flags=\nreturn redis.call('set','a','c')"), ev("#!lua  \nreturn 4"),
        ev("#!lua name=x\nreturn 1"),
        ("EVAL_RO", "#!lua\nreturn 1", "0"), ("EVAL_RO", "#!lua flags=no-writes\nreturn 1", "0"),
        ("EVAL_RO", "return 1", "0"), ("GET", "a"),
    )


# -- EVALSHA and SCRIPT -------------------------------------------------------------------------------

def test_evalsha_and_script_cache(sdiff):
    sdiff.run(
        ("EVALSHA", "abc", "0"), ("EVALSHA", "ffd632c7d33e571e9f24556ebed26c3479a87130", "0"),
        ("SCRIPT", "LOAD", "return 'hello'"),
        ("EVALSHA", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b", "0"),
        ("EVALSHA", "1B936E3FE509BCBC9CD0664897BBE8FD0CAC101B", "0"),
        ("EVALSHA_RO", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b", "0"),
        ("EVALSHA", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b", "x"),
        ("EVALSHA", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b", "1"),
        ("SCRIPT", "EXISTS", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b", "nope",
         "1B936E3FE509BCBC9CD0664897BBE8FD0CAC101B"),
        ev("return 'from eval'"), ("EVALSHA", "ec8e09e3c82bd5bb6e0e2b9ae41aa5d26d2a9f84", "0"),
        ("SCRIPT", "LOAD", "return ("), ("SCRIPT", "LOAD", "#!lua flags=bogus\nreturn 1"),
        ("SCRIPT", "LOAD", "#!lua flags=no-writes\nreturn 1"),
        ("SCRIPT", "FLUSH", "ASYNC"), ("SCRIPT", "EXISTS", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b"),
        ("SCRIPT", "LOAD", "return 'hello'"), ("SCRIPT", "FLUSH", "sync"), ("SCRIPT", "FLUSH", "bad"),
        ("SCRIPT", "FLUSH", "sync", "x"), ("SCRIPT", "FLUSH"),
        ("EVALSHA", "1b936e3fe509bcbc9cd0664897bbe8fd0cac101b", "0"),
        ("SCRIPT", "KILL"), ("SCRIPT", "KILL", "x"), ("SCRIPT", "HELP"), ("SCRIPT",), ("SCRIPT", "nope"),
        ("SCRIPT", "EXISTS"), ("SCRIPT", "LOAD"), ("SCRIPT", "DEBUG", "no"), ("SCRIPT", "DEBUG", "bogus"),
        ("FUNCTION", "KILL"),
    )


def test_scripts_in_transactions(sdiff):
    sdiff.run(
        ("MULTI",), ev("return redis.call('incr','c')"), ev("return redis.call('incr','c')"),
        ("EVAL", "return redis.call('get', KEYS[1])", "1", "c"), ev("return redis.call('nosuch')"), ("EXEC",),
        ("SET", "w", "1"), ("WATCH", "w"), ev("return redis.call('set','w','2')"), ("MULTI",), ("GET", "w"),
        ("EXEC",),
    )


# -- FUNCTION and FCALL -------------------------------------------------------------------------------

LIB = "#!lua name=mylib\nredis.register_function('myfunc', function(keys, args) return {keys[1], args[1]} end)"
LIB2 = ("#!lua name=lib2\nredis.register_function{function_name='f2', callback=function(keys, args) "
        "return redis.call('set', keys[1], args[1]) end, flags={'no-writes'}, description='desc'}")


def test_function_load_and_fcall(sdiff):
    sdiff.run(
        ("FUNCTION", "LOAD", LIB), ("FUNCTION", "LOAD", LIB), ("FUNCTION", "LOAD", "REPLACE", LIB),
        ("FUNCTION", "LOAD", "replace", LIB),
        ("FCALL", "myfunc", "1", "k", "a"), ("FCALL", "myfunc", "0"), ("FCALL", "myfunc", "x"),
        ("FCALL", "myfunc", "5", "a"), ("FCALL", "myfunc", "-1"), ("FCALL", "nofunc", "0"),
        ("FCALL_RO", "myfunc", "0"), ("FCALL", "MYFUNC", "0"),
        ("FUNCTION", "LOAD", LIB2), ("FCALL", "f2", "1", "k", "v"), ("FCALL_RO", "f2", "1", "k", "v"),
        ("FUNCTION", "LIST", "LIBRARYNAME", "lib2"), ("FUNCTION", "LIST", "withcode", "libraryname", "my*"),
        ("FUNCTION", "LIST", "libraryname", "zz*"), ("FUNCTION", "LIST", "libraryname"),
        ("FUNCTION", "LIST", "bogus"), ("FUNCTION", "STATS"), ("FUNCTION", "DELETE", "lib2"),
        ("FUNCTION", "DELETE", "lib2"), ("FUNCTION", "LIST"), ("FUNCTION", "LIST", "WITHCODE"),
        ("FUNCTION", "STATS"), ("FUNCTION", "FLUSH", "bogus"), ("FUNCTION", "FLUSH", "async"),
        ("FUNCTION", "LIST"), ("FUNCTION", "STATS"), ("FUNCTION", "HELP"), ("FUNCTION", "KILL"),
        ("FUNCTION",), ("FUNCTION", "nope"), ("FCALL", "myfunc"), ("FCALL",),
    )


@pytest.mark.parametrize("code", [
    "#!lua name=lib3\nredis.register_function('myfunc', function() return 1 end)",
    "#!lua name=lib3\nreturn 1",
    "#!lua name=lib3\nredis.call('ping')",
    "#!lua name=lib3\nlocal a = string.len('x')",
    "#!lua name=lib3\nerror('boom')",
    "#!lua name=lib3\nredis.register_function('a b', function() return 1 end)",
    "#!lua name=lib3\nredis.register_function('f', function() return 1 end)\n"
    "redis.register_function('f', function() return 1 end)",
    "#!lua name=lib3\nredis.register_function('f')",
    "#!lua name=lib3\nredis.register_function(1, 2)",
    "#!lua name=lib3\nredis.register_function('f', 2)",
    "#!lua name=lib3\nredis.register_function{function_name='f'}",
    "#!lua name=lib3\nredis.register_function{callback=function() end}",
    "#!lua name=lib3\nredis.register_function{function_name='f', callback=function() end, flags={'bad'}}",
    "#!lua name=lib3\nredis.register_function{function_name='f', callback=function() end, bogus=1}",
    "#!lua name=lib3\nredis.register_function{function_name=1, callback=function() end}",
    "#!lua name=lib3\nredis.register_function{function_name='f', callback=1}",
    "#!lua name=lib3\nredis.register_function{function_name='f', callback=function() end, description=1}",
    "#!lua name=lib3\nredis.register_function{function_name='f', callback=function() end, flags=1}",
    "#!lua name=lib3\nredis.register_function(1)",
    "#!lua name=lib3\nredis.register_function()",
    "#!lua name=lib3\nreturn (",
    "#!lua name=lib-3\nredis.register_function('f', function() return 1 end)",
    "#!lua name=\nredis.register_function('f', function() return 1 end)",
    "#!lua\nredis.register_function('f', function() return 1 end)",
    "#!luax name=x\nredis.register_function('f', function() return 1 end)",
    "#!lua name=x foo=bar\nredis.register_function('f', function() return 1 end)",
    "#!lua name=x name=y\nredis.register_function('f', function() return 1 end)",
    "no shebang", "#!lua name=x",
    "#!LUA name=lib10\nredis.register_function('f10', function(keys, args) return 1 end)",
    "#!lua NAME=lib11\nredis.register_function('f11', function(keys, args) return 1 end)",
    "#!lua name=lib9 \nredis.register_function('f9', function(keys, args) return 1 end)",
])
def test_function_load_errors(sdiff, code):
    sdiff.run(("FUNCTION", "LOAD", "#!lua name=mylib\nredis.register_function('myfunc', function() return 1 end)"),
              ("FUNCTION", "LOAD", code), ("FUNCTION", "LIST", "libraryname", "lib*"))


def test_function_load_arguments(sdiff):
    sdiff.run(
        ("FUNCTION", "LOAD", "bogus", LIB), ("FUNCTION", "LOAD"), ("FUNCTION", "LOAD", "replace"),
        ("FUNCTION", "LOAD", "replace", "replace", LIB), ("FUNCTION", "DELETE"), ("FUNCTION", "DELETE", "a", "b"),
    )


def test_function_runtime(sdiff):
    sdiff.run(
        ("FUNCTION", "LOAD", "#!lua name=lib4\nredis.register_function('f4', function(keys, args) return a_global end)"),
        ("FCALL", "f4", "0"),
        ("FUNCTION", "LOAD", "#!lua name=lib5\nredis.register_function('f5', function(keys, args) "
                             "return redis.call('nosuch') end)"),
        ("FCALL", "f5", "0"),
        ("FUNCTION", "LOAD", "#!lua name=lib6\nredis.register_function('f6', function(keys, args) error('x') end)"),
        ("FCALL", "f6", "0"),
        ("FUNCTION", "LOAD", "#!lua name=lib7\nredis.register_function('f7', function(keys, args) "
                             "return redis.setresp ~= nil end)"),
        ("FCALL", "f7", "0"),
        ("FUNCTION", "LOAD", "#!lua name=lib8\nlocal x = redis.REDIS_VERSION\nredis.log(redis.LOG_NOTICE, 'loading')\n"
                             "redis.register_function('f8', function(keys, args) return x end)"),
        ("FCALL", "f8", "0"),
        ("FUNCTION", "LOAD", "#!lua name=lib12\nredis.register_function{function_name='f12', callback=function(keys, "
                             "args) return redis.call('set', keys[1], 'v') end, flags={'allow-oom','allow-stale',"
                             "'allow-cross-slot-keys','no-writes'}}"),
        ("FUNCTION", "LIST", "libraryname", "lib12"), ("FCALL", "f12", "1", "k"), ("FCALL_RO", "f12", "1", "k"),
        ("FUNCTION", "LOAD", "#!lua name=lib13\nredis.register_function('f13', function(keys, args) "
                             "return redis.call('set', keys[1], args[1]) end)"),
        ("FCALL", "f13", "1", "k", "v1"), ("FCALL_RO", "f13", "1", "k", "v2"), ("GET", "k"),
        ("FUNCTION", "LOAD", "#!lua name=lib14\nlocal function helper(x) return x * 2 end\n"
                             "redis.register_function('f14', function(keys, args) return helper(tonumber(args[1])) end)"),
        ("FCALL", "f14", "0", "21"),
        ("FUNCTION", "LOAD", "#!lua name=lib15\nredis.register_function('f15', function(keys, args) x = 1 end)"),
        ("FCALL", "f15", "0"),
        ("FUNCTION", "LOAD", "#!lua name=lib16\nredis.register_function('f16', function(keys, args) "
                             "return redis.register_function('x', function() end) end)"),
        ("FCALL", "f16", "0"),
    )


def test_function_dump_restore(sdiff):
    sdiff.run(
        ("FUNCTION", "DUMP"), ("FUNCTION", "LOAD", LIB2),
    )
    dump = sdiff.same("FUNCTION", "DUMP")
    payload = dump.split(b"\r\n", 1)[1][:-2]
    sdiff.run(
        ("FUNCTION", "RESTORE", payload), ("FUNCTION", "RESTORE", payload, "APPEND"),
        ("FUNCTION", "RESTORE", payload, "REPLACE"), ("FUNCTION", "RESTORE", payload, "FLUSH"),
        ("FUNCTION", "RESTORE", payload, "BOGUS"), ("FUNCTION", "RESTORE", b"bad"),
        ("FUNCTION", "RESTORE", payload[:-1] + b"x"), ("FUNCTION", "LIST"),
        ("FUNCTION", "FLUSH"), ("FUNCTION", "RESTORE", payload), ("FCALL", "f2", "1", "k", "v"),
        ("FUNCTION", "LIST", "WITHCODE"),
    )
