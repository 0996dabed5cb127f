"""The Lua 5.1 interpreter of EVAL and FUNCTION (Redis: script_lua.c, the Lua half of eval.c and
function_lua.c), on ``lupa.lua51``.

Theory of operation
-------------------
One :class:`LuaEngine` holds one Lua state.  The EVAL scripts share one engine, the FUNCTION libraries
another (as in Redis).  Almost everything that touches Lua values is written in Lua (``_BOOT`` below)
so that values cross the Python/Lua boundary as few times as possible:

* ``redis.call(...)`` checks and converts its arguments in Lua, crosses into Python once with plain
  byte strings (``host.call``), and gets back either the command's reply *in RESP* -- which Lua parses
  into Lua values exactly as Redis's ``redisProtocolToLuaType`` does -- or a script error text;
* a script's return value is turned into RESP by Lua (``to_resp``: ``luaReplyToRedisReply``), and
  Python writes those bytes to the caller as they are.

The sandbox follows Redis's: a script sees only the allowed globals (``string``, ``table``, ``math``,
``cjson``, ``bit``, ``redis`` ... no ``loadfile``, ``dofile``, ``os``, ``print``); reading a missing
global raises "Script attempted to access nonexistent global variable", and any assignment to a global
or to a library table raises "Attempt to modify a readonly table".  Vanilla Lua has no read-only
tables, so a script runs with an empty environment table whose metatable does the lookups (and
library tables are read-only proxies of private copies).

Errors are tables ``{err="CODE message", source=..., line=...}`` as in Redis 7.0; the message handler
records where the script failed, skipping the frames of C functions and of this file's Lua code, so
a script sees the same positions as under redis-server.
"""

from __future__ import annotations

import hashlib
import json
import math
import struct

import lupa.lua51 as lupa

# ``@user_script`` / ``@user_function`` are Redis's chunk names; ours is "=redis_internal".
_BOOT = r"""
local host = ...
local string, table, math, coroutine = string, table, math, coroutine
local type, tostring, tonumber, error, select, unpack = type, tostring, tonumber, error, select, unpack
local rawget, rawset, setmetatable, next, pairs, ipairs, xpcall, pcall = rawget, rawset, setmetatable, next, pairs, ipairs, xpcall, pcall
local getinfo = debug.getinfo
local sfmt, ssub, sfind, sbyte, sgsub = string.format, string.sub, string.find, string.byte, string.gsub
local INTERNAL = "=redis_internal"

local function readonly_error() error("Attempt to modify a readonly table", 2) end

-- What getmetatable() shows of a protected table: itself read-only.
local protected = setmetatable({}, {__mode = "k"})
local PROTECTED_MT = setmetatable({}, {__newindex = readonly_error, __metatable = false})
protected[PROTECTED_MT] = true

-- A read-only view of a library table (the table itself is out of the scripts' reach).
local function readonly(src)
  local t = setmetatable({}, {__index = src, __newindex = readonly_error, __metatable = PROTECTED_MT})
  protected[t] = true
  return t
end

-- luaPushErrorBuff: "-CODE msg" or "msg" -> {err="CODE msg"} (ERR when there is no code)
local function push_error(s)
  local code, msg
  if sbyte(s, 1) == 45 then
    local sp = sfind(s, " ", 1, true)
    if sp then code, msg = ssub(s, 2, sp - 1), ssub(s, sp + 1) else code, msg = "ERR", ssub(s, 2) end
  else
    code, msg = "ERR", s
  end
  msg = sgsub(sgsub(msg, "^[\r\n]+", ""), "[\r\n]+$", "")
  return {err = code .. " " .. msg}
end

-- redisProtocolToLuaType: one RESP2/RESP3 reply (from position pos) as a Lua value
local parse
parse = function(s, pos)
  local c = sbyte(s, pos)
  local e = sfind(s, "\r\n", pos, true)
  local line = ssub(s, pos + 1, e - 1)
  local nxt = e + 2
  if c == 36 then -- $
    local n = tonumber(line)
    if n < 0 then return false, nxt end
    return ssub(s, nxt, nxt + n - 1), nxt + n + 2
  elseif c == 58 then return tonumber(line), nxt -- :
  elseif c == 43 then return {ok = line}, nxt -- +
  elseif c == 45 then -- -
    local t = push_error("-" .. line)
    t.ignore_error_stats_update = true
    return t, nxt
  elseif c == 42 or c == 62 then -- * >
    local n = tonumber(line)
    if n < 0 then return false, nxt end
    local t = {}
    for i = 1, n do t[i], nxt = parse(s, nxt) end
    return t, nxt
  elseif c == 37 then -- %
    local m = {}
    for i = 1, tonumber(line) do
      local k, v
      k, nxt = parse(s, nxt)
      v, nxt = parse(s, nxt)
      if k ~= nil then m[k] = v end
    end
    return {map = m}, nxt
  elseif c == 126 then -- ~
    local m = {}
    for i = 1, tonumber(line) do
      local k
      k, nxt = parse(s, nxt)
      if k ~= nil then m[k] = true end
    end
    return {set = m}, nxt
  elseif c == 95 then return nil, nxt -- _
  elseif c == 35 then return line == "t", nxt -- #
  elseif c == 44 then return {double = tonumber(line)}, nxt -- ,
  elseif c == 40 then return {big_number = line}, nxt -- (
  elseif c == 61 then -- =
    local n = tonumber(line)
    local body = ssub(s, nxt, nxt + n - 1)
    return {verbatim_string = {format = ssub(body, 1, 3), string = ssub(body, 5)}}, nxt + n + 2
  elseif c == 124 then -- | attribute: skipped
    for i = 1, tonumber(line) do
      local _
      _, nxt = parse(s, nxt)
      _, nxt = parse(s, nxt)
    end
    return parse(s, nxt)
  end
  error("unknown reply type")
end

local function bulk(s) return "$" .. #s .. "\r\n" .. s .. "\r\n" end
local function nomap(s) return (sgsub(s, "[\r\n]", " ")) end
local function fmt_double(d)
  if d == math.huge then return "inf" elseif d == -math.huge then return "-inf" end
  return sfmt("%.17g", d)
end

-- luaReplyToRedisReply: a Lua value as RESP for a client speaking RESP cresp, the script having
-- chosen sresp (redis.setresp)
local to_resp
to_resp = function(v, sresp, cresp, out, level)
  local t = type(v)
  level = (level or 0) + 1
  if level > 7900 then out[#out + 1] = "-ERR reached lua stack limit\r\n" return end
  if t == "string" then out[#out + 1] = bulk(v)
  elseif t == "number" then out[#out + 1] = sfmt(":%d\r\n", v)
  elseif t == "boolean" then
    if sresp == 2 then
      out[#out + 1] = v and ":1\r\n" or (cresp == 3 and "_\r\n" or "$-1\r\n")
    elseif cresp == 3 then out[#out + 1] = v and "#t\r\n" or "#f\r\n"
    else out[#out + 1] = v and ":1\r\n" or ":0\r\n" end
  elseif t == "table" then
    local f = rawget(v, "err")
    if type(f) == "string" then out[#out + 1] = "-" .. nomap(f) .. "\r\n" return end
    f = rawget(v, "ok")
    if type(f) == "string" then out[#out + 1] = "+" .. nomap(f) .. "\r\n" return end
    f = rawget(v, "double")
    if type(f) == "number" then
      if cresp == 3 then out[#out + 1] = "," .. fmt_double(f) .. "\r\n" else out[#out + 1] = bulk(fmt_double(f)) end
      return
    end
    f = rawget(v, "big_number")
    if type(f) == "string" then
      if cresp == 3 then out[#out + 1] = "(" .. nomap(f) .. "\r\n" else out[#out + 1] = bulk(nomap(f)) end
      return
    end
    f = rawget(v, "verbatim_string")
    if type(f) == "table" then
      local fm, str = rawget(f, "format"), rawget(f, "string")
      if type(fm) == "string" and type(str) == "string" then
        if cresp == 3 then
          out[#out + 1] = "=" .. (#str + 4) .. "\r\n" .. ssub(fm .. "   ", 1, 3) .. ":" .. str .. "\r\n"
        else out[#out + 1] = bulk(str) end
        return
      end
    end
    f = rawget(v, "map")
    if type(f) == "table" then
      local sub, n = {}, 0
      for k, x in next, f do to_resp(k, sresp, cresp, sub, level) to_resp(x, sresp, cresp, sub, level) n = n + 1 end
      out[#out + 1] = (cresp == 3 and "%" .. n or "*" .. 2 * n) .. "\r\n" .. table.concat(sub)
      return
    end
    f = rawget(v, "set")
    if type(f) == "table" then
      local sub, n = {}, 0
      for k in next, f do to_resp(k, sresp, cresp, sub, level) n = n + 1 end
      out[#out + 1] = (cresp == 3 and "~" or "*") .. n .. "\r\n" .. table.concat(sub)
      return
    end
    local sub, n = {}, 0
    while true do
      local x = rawget(v, n + 1)
      if x == nil then break end
      to_resp(x, sresp, cresp, sub, level)
      n = n + 1
    end
    out[#out + 1] = "*" .. n .. "\r\n" .. table.concat(sub)
  else
    out[#out + 1] = cresp == 3 and "_\r\n" or "$-1\r\n"
  end
end

-- The message handler (Redis's __redis__err__handler): where did the script fail?
local unwrap = host.unwrap
local function handler(err)
  local positioned = false
  if type(err) == "userdata" then err, positioned = unwrap(err) end
  local level = 2
  local i = getinfo(level, "nSl")
  while i and (i.what == "C" or i.what == "tail" or i.source == INTERNAL) do
    level = level + 1
    i = getinfo(level, "nSl")
  end
  if positioned and i and type(err) == "string" then err = i.short_src .. ":" .. i.currentline .. ": " .. err end
  if type(err) ~= "table" then err = {err = "ERR " .. tostring(err)} end
  if i then
    err.source = i.source
    err.line = i.currentline
  end
  return err
end

-- redis.call / redis.pcall
local host_call = host.call
local function call_impl(raise, ...)
  local n = select("#", ...)
  local r
  if n == 0 then
    r = push_error("Please specify at least one argument for this redis lib call")
    if raise then error(r) end
    return r
  end
  local args = {...}
  for i = 1, n do
    local a = args[i]
    local ta = type(a)
    if ta == "number" then args[i] = sfmt("%.17g", a)
    elseif ta ~= "string" then
      r = push_error("Lua redis lib command arguments must be strings or integers")
      if raise then error(r) end
      return r
    end
  end
  local kind, payload = host_call(unpack(args, 1, n))
  if kind == 0 then
    r = parse(payload, 1)
    if raise and sbyte(payload, 1) == 45 then error(r) end
    return r
  end
  r = push_error(payload)
  r.ignore_error_stats_update = true
  if raise then error(r) end
  return r
end

-- redis.* functions that may raise are made C functions (Python callables, see _c_function): a Lua
-- function called in tail position (`return redis.call(...)`) would take the script's frame away,
-- and with it the line Redis reports.
local cfunc = host.cfunction
local function protect(fn) return cfunc(function(...) return pcall(fn, ...) end) end

local redis = {}
redis.call = protect(function(...) return call_impl(true, ...) end)
redis.pcall = protect(function(...) return call_impl(false, ...) end)
redis.sha1hex = protect(function(...)
  if select("#", ...) ~= 1 then error(push_error("wrong number of arguments")) end
  local s = ...
  if type(s) == "number" then s = tostring(s) elseif type(s) ~= "string" then s = "" end
  return host.sha1hex(s)
end)
redis.error_reply = function(...)
  local s = ...
  if select("#", ...) ~= 1 or type(s) ~= "string" then return push_error("wrong number or type of arguments") end
  if sbyte(s, 1) ~= 45 then s = "-" .. s end
  return push_error(s)
end
redis.status_reply = function(...)
  local s = ...
  if select("#", ...) ~= 1 or type(s) ~= "string" then return push_error("wrong number or type of arguments") end
  return {ok = s}
end
local function log(...)
  local n = select("#", ...)
  if n < 2 then error(push_error("redis.log() requires two arguments or more.")) end
  local level = ...
  if type(tonumber(level)) ~= "number" then error(push_error("First argument must be a number (log level).")) end
  level = tonumber(level)
  if level < 0 or level > 3 then error(push_error("Invalid debug level.")) end
  local parts = {}
  for i = 2, n do
    local a = select(i, ...)
    if type(a) == "string" or type(a) == "number" then parts[#parts + 1] = tostring(a) end
  end
  host.log(math.floor(level), table.concat(parts, " "))
end
redis.log = protect(log)
redis.LOG_DEBUG, redis.LOG_VERBOSE, redis.LOG_NOTICE, redis.LOG_WARNING = 0, 1, 2, 3
redis.REDIS_VERSION = host.version
redis.REDIS_VERSION_NUM = host.version_num
redis.setresp = protect(function(...)
  if select("#", ...) ~= 1 then error(push_error("redis.setresp() requires one argument.")) end
  local n = tonumber((...)) or 0
  if n ~= 2 and n ~= 3 then error(push_error("RESP version must be 2 or 3.")) end
  host.setresp(n)
end)
redis.set_repl = protect(function(...)
  if select("#", ...) ~= 1 then error(push_error("redis.set_repl() requires two arguments.")) end
  local flags = tonumber((...)) or 0
  if flags ~= 0 and flags ~= 1 and flags ~= 2 and flags ~= 3 then
    error(push_error("Invalid replication flags. Use REPL_AOF, REPL_REPLICA, REPL_ALL or REPL_NONE."))
  end
  host.set_repl(flags)
end)
redis.REPL_NONE, redis.REPL_AOF, redis.REPL_SLAVE, redis.REPL_REPLICA, redis.REPL_ALL = 0, 1, 2, 2, 3
redis.replicate_commands = function() return true end
redis.breakpoint = function() return false end
redis.debug = function() end
redis.acl_check_cmd = protect(function(...)
  local n = select("#", ...)
  if n == 0 then error(push_error("Please specify at least one argument for this redis lib call")) end
  local args = {...}
  for i = 1, n do
    local a = args[i]
    if type(a) == "number" then args[i] = sfmt("%.17g", a)
    elseif type(a) ~= "string" then error(push_error("Lua redis lib command arguments must be strings or integers")) end
  end
  local r = host.acl_check(unpack(args, 1, n))
  if r == nil then error(push_error("Invalid command passed to redis.acl_check_cmd()")) end
  return r
end)

-- Redis's pcall returns the message of an error table, for compatibility with Redis < 7
local function pcall_result(ok, ...)
  if ok then return true, ... end
  local e = ...
  if type(e) == "userdata" then e = unwrap(e) end
  if type(e) == "table" then
    local m = rawget(e, "err")
    if type(m) == "string" or type(m) == "number" then e = m end
  end
  return false, e
end
local function redis_pcall(...) return pcall_result(pcall(...)) end

-- math.random / math.randomseed use Redis's rand48 so sequences are those of redis-server
local mathlib = {}
for k, v in pairs(math) do mathlib[k] = v end
mathlib.random = function(...)
  local r = host.rand()
  local n = select("#", ...)
  if n == 0 then return r end
  local l, u = 1, nil
  if n == 1 then u = math.floor(tonumber((...)) or error("bad argument #1 to 'random' (number expected)"))
  elseif n == 2 then
    local a, b = ...
    l = math.floor(tonumber(a) or error("bad argument #1 to 'random' (number expected)"))
    u = math.floor(tonumber(b) or error("bad argument #2 to 'random' (number expected)"))
  else error("wrong number of arguments") end
  if l > u then error("bad argument #" .. n .. " to 'random' (interval is empty)") end
  return math.floor(r * (u - l + 1)) + l
end
mathlib.randomseed = function(seed) host.randomseed(math.floor(tonumber(seed) or 0)) end

-- The sandbox: the names a script may see (Redis's allow lists)
local G = {}
for _, name in ipairs({"assert", "collectgarbage", "error", "gcinfo", "getmetatable", "ipairs", "load",
                       "loadstring", "next", "pairs", "rawequal", "rawget", "rawset", "select",
                       "setmetatable", "tonumber", "tostring", "type", "unpack", "xpcall", "_VERSION"}) do
  G[name] = _G[name]
end
G.pcall = redis_pcall
G.setmetatable = function(t, mt)
  if protected[t] then error("Attempt to modify a readonly table", 2) end
  return setmetatable(t, mt)
end
G.rawset = function(t, k, v)
  if protected[t] then error("Attempt to modify a readonly table", 2) end
  return rawset(t, k, v)
end
-- Redis's Lua refuses precompiled (binary) chunks
local function text_only(loader)
  return function(chunk, ...)
    if type(chunk) == "string" and sbyte(chunk, 1) == 27 then return nil, "binary chunks are not allowed" end
    return loader(chunk, ...)
  end
end
G.loadstring = text_only(loadstring)
G.load = function(f, ...)
  if type(f) == "string" then return G.loadstring(f, ...) end
  return load(f, ...)
end
G.string = readonly(string)
G.table = readonly(table)
G.coroutine = readonly(coroutine)
G.math = readonly(mathlib)
G.bit = readonly(host.bit)
G.cjson = readonly(host.cjson)
G.cmsgpack = readonly(host.cmsgpack)
G.redis = readonly(redis)

local vars = {}      -- KEYS and ARGV of EVAL
local load_api = nil -- while FUNCTION LOAD runs its library: the only globals it may see
local env = {}
local function missing(k)
  error("Script attempted to access nonexistent global variable '" .. tostring(k) .. "'", 3)
end
setmetatable(env, {
  __index = function(_, k)
    if load_api then
      local v = rawget(load_api, k)
      if v == nil then missing(k) end
      return v
    end
    local v = vars[k]
    if v ~= nil then return v end
    v = G[k]
    if v == nil then missing(k) end
    return v
  end,
  __newindex = readonly_error,
  __metatable = PROTECTED_MT,
})
protected[env] = true
G._G = env

local M = {}
M.compile = function(code, chunkname)
  local f, err = loadstring(code, chunkname)
  if not f then return nil, err end
  setfenv(f, env)
  return f, nil
end
M.set_vars = function(keys, argv) vars = {KEYS = keys, ARGV = argv} end
local sethook = debug.sethook
-- the hook raises only in the script's own code (not in this file's: the message handler, run ...)
local function make_hook(hook)
  return function()
    local e = hook()
    if e then
      local i = getinfo(2, "S")
      if i and i.source ~= INTERNAL then error(e) end
    end
  end
end
M.run = function(f, hook, a, b)
  local ok, r
  if hook then sethook(make_hook(hook), "", 100000) end  -- busy-reply-threshold: checked every 100000 instructions
  if a == nil then ok, r = xpcall(f, handler)
  else ok, r = xpcall(function() return f(a, b) end, handler) end
  if hook then sethook() end
  return ok, r
end
-- after SCRIPT KILL: the hook runs on every line, so a script catching the error with pcall is killed again
M.hook_lines = function(hook) sethook(make_hook(hook), "l") end
M.error_table = function(msg) return push_error(msg) end
M.to_resp = function(v, sresp, cresp)
  local out = {}
  to_resp(v, sresp, cresp, out)
  -- an error table a script returns is counted in the error statistics, unless it is the error of a
  -- command the script called (counted already)
  local counted = type(v) == "table" and rawget(v, "ignore_error_stats_update") == true
  return table.concat(out), counted
end
M.format_error = function(e, funcname)
  if type(e) == "userdata" then e = unwrap(e) end
  if type(e) ~= "table" then return "-ERR Error running script " .. funcname .. ", " .. ssub(tostring(e), 1, 100), false end
  local msg = e.err
  if type(msg) ~= "string" and type(msg) ~= "number" then msg = "" end
  local s = "-" .. tostring(msg)
  if e.line ~= nil and e.source ~= nil then
    s = s .. " script: " .. funcname .. ", on " .. tostring(e.source) .. ":" .. tostring(e.line) .. "."
  end
  return s, rawget(e, "ignore_error_stats_update") == true
end
M.error_text = function(e)  -- luaExtractErrorInformation's message, for FUNCTION LOAD errors
  if type(e) == "userdata" then e = unwrap(e) end
  if type(e) == "string" or type(e) == "number" then return "ERR " .. e end
  if type(e) == "table" and (type(e.err) == "string" or type(e.err) == "number") then return tostring(e.err) end
  return ""
end
M.table = function(list)
  local t = {}
  for i = 1, #list do t[i] = list[i] end
  return t
end
M.strings = function(...) return {...} end

-- what the FUNCTION engine's extra chunk (_BOOT_FUNCTIONS) needs from here
M.lib = {push_error = push_error, missing = missing, readonly_error = readonly_error, protect = protect,
         INTERNAL = INTERNAL, log = redis.log, set_load_api = function(t) load_api = t end,
         loading = function() return load_api ~= nil end}
return M
"""


# The FUNCTION engine only: the API a library sees while FUNCTION LOAD runs its code.
_BOOT_FUNCTIONS = r"""
local M, host = ...
local lib = M.lib
local push_error, missing, readonly_error, protect = lib.push_error, lib.missing, lib.readonly_error, lib.protect
local INTERNAL, set_load_api, loading = lib.INTERNAL, lib.set_load_api, lib.loading
local redis = {log = lib.log}
local getinfo, sethook = debug.getinfo, debug.sethook
-- FUNCTION LOAD: the library's chunk runs with only `redis.register_function`, `redis.log` and the
-- version fields visible (luaEngineCreate); the functions themselves later see the full sandbox.
local function err_table(t)
  return setmetatable(t, {__index = function(_, k) missing(k) end, __newindex = readonly_error, __metatable = false})
end
local FLAGS = {["no-writes"] = true, ["allow-oom"] = true, ["allow-stale"] = true, ["no-cluster"] = true,
               ["allow-cross-slot-keys"] = true}
local function fail(msg) error(push_error(msg)) end
local load_redis = err_table({
  register_function = protect(function(...)
    if not loading() then fail("redis.register_function can only be called on FUNCTION LOAD command") end
    local n = select("#", ...)
    local name, callback, desc, flags
    if n == 1 then
      local t = ...
      if type(t) ~= "table" then
        fail("calling redis.register_function with a single argument is only applicable to Lua table (representing named arguments).")
      end
      for k, v in pairs(t) do
        if type(k) ~= "string" then fail("named argument key given to redis.register_function is not a string") end
        local lk = string.lower(k)
        if lk == "function_name" then
          if type(v) ~= "string" and type(v) ~= "number" then fail("function_name argument given to redis.register_function must be a string") end
          name = tostring(v)
        elseif lk == "description" then
          if type(v) ~= "string" and type(v) ~= "number" then fail("description argument given to redis.register_function must be a string") end
          desc = tostring(v)
        elseif lk == "callback" then
          if type(v) ~= "function" then fail("callback argument given to redis.register_function must be a function") end
          callback = v
        elseif lk == "flags" then
          if type(v) ~= "table" then fail("flags argument to redis.register_function must be a table representing function flags") end
          flags = {}
          for _, fl in ipairs(v) do
            if type(fl) ~= "string" or not FLAGS[fl] then fail("unknown flag given") end
            flags[#flags + 1] = fl
          end
        else
          fail("unknown argument given to redis.register_function")
        end
      end
      if not name then fail("redis.register_function must get a function name argument") end
      if not callback then fail("redis.register_function must get a callback argument") end
    elseif n == 2 then
      name, callback = ...
      if type(callback) ~= "function" then fail("second argument to redis.register_function must be a function") end
      if type(name) ~= "string" and type(name) ~= "number" then fail("first argument to redis.register_function must be a string") end
      name = tostring(name)
    else
      fail("wrong number of arguments to redis.register_function")
    end
    local err = host.register_function(name, callback, desc, flags or {})
    if err then fail(err) end
  end),
  log = redis.log,
  LOG_DEBUG = 0, LOG_VERBOSE = 1, LOG_NOTICE = 2, LOG_WARNING = 3,
  REDIS_VERSION = host.version, REDIS_VERSION_NUM = host.version_num,
})
local LOAD_API = err_table({redis = load_redis})
-- the library's code may run for 500 ms at most (LOAD_TIMEOUT_MS), checked every 100000 instructions
local clock = os.clock
M.load_library = function(f, timeout)
  set_load_api(LOAD_API)
  if timeout then
    local deadline = clock() + timeout
    sethook(function()
      if clock() > deadline then
        local i = getinfo(2, "S")
        if i and i.source ~= INTERNAL then error(push_error("FUNCTION LOAD timeout")) end
      end
    end, "", 100000)
  end
  local ok, e = pcall(f)
  if timeout then sethook() end
  set_load_api(nil)
  return ok, e
end
"""


def _version_num(version: str) -> int:
    major, minor, patch = (int(x) for x in version.split("."))
    return (major << 16) | (minor << 8) | patch


class Rand48:
    """Redis's rand.c (``redisLrand48``): the 48-bit linear congruential generator of drand48, so that
    ``math.random`` gives the sequence redis-server gives."""

    def __init__(self):
        self.x = 0x1234ABCD330E

    def next(self) -> int:
        self.x = (0x5DEECE66D * self.x + 0xB) & 0xFFFFFFFFFFFF
        return self.x >> 17

    def seed(self, s: int) -> None:
        self.x = ((s & 0xFFFFFFFF) << 16) | 0x330E

    def random(self) -> float:
        m = 0x7FFFFFFF
        return (self.next() % m) / m


def _tobit(x) -> int:
    """LuaBitOp's normalisation of a number to a signed 32-bit integer."""
    if isinstance(x, (bytes, str)):
        x = float(x)
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return 0
        x = int(round(x))  # (LuaBitOp rounds to nearest, ties to even, as Python's round does)
    x &= 0xFFFFFFFF
    return x - (1 << 32) if x & 0x80000000 else x


def _make_bit(rt):
    """The ``bit`` library (LuaBitOp 1.0 API, the one Redis bundles), in Python."""

    def band(*a):
        r = -1
        for x in a:
            r &= _tobit(x)
        return _tobit(r)

    def bor(*a):
        r = 0
        for x in a:
            r |= _tobit(x)
        return _tobit(r)

    def bxor(*a):
        r = 0
        for x in a:
            r ^= _tobit(x)
        return _tobit(r)

    def tohex(x, n=8):
        x = _tobit(x) & 0xFFFFFFFF
        n = int(n)
        upper = n < 0
        n = min(abs(n), 8)
        s = "%0*x" % (n, x & ((1 << (4 * n)) - 1) if n < 8 else x)
        return (s.upper() if upper else s)[-n:].encode()

    funcs = {
        b"tobit": _tobit,
        b"bnot": lambda x: _tobit(~_tobit(x)),
        b"band": band,
        b"bor": bor,
        b"bxor": bxor,
        b"lshift": lambda x, n: _tobit((_tobit(x) & 0xFFFFFFFF) << (_tobit(n) & 31)),
        b"rshift": lambda x, n: _tobit((_tobit(x) & 0xFFFFFFFF) >> (_tobit(n) & 31)),
        b"arshift": lambda x, n: _tobit(_tobit(x) >> (_tobit(n) & 31)),
        b"rol": lambda x, n: _tobit(((_tobit(x) & 0xFFFFFFFF) << (_tobit(n) & 31))
                                    | ((_tobit(x) & 0xFFFFFFFF) >> ((32 - (_tobit(n) & 31)) & 31))),
        b"ror": lambda x, n: _tobit(((_tobit(x) & 0xFFFFFFFF) >> (_tobit(n) & 31))
                                    | ((_tobit(x) & 0xFFFFFFFF) << ((32 - (_tobit(n) & 31)) & 31))),
        b"bswap": lambda x: _tobit(int.from_bytes((_tobit(x) & 0xFFFFFFFF).to_bytes(4, "little"), "big")),
        b"tohex": tohex,
    }
    return rt.table_from(funcs)


_JSON_ESCAPES = {0x22: b'\\"', 0x5C: b"\\\\", 0x2F: b"\\/", 0x08: b"\\b", 0x0C: b"\\f", 0x0A: b"\\n",
                 0x0D: b"\\r", 0x09: b"\\t"}


def _json_string(s: bytes) -> bytes:
    """Lua CJSON's string escaping: quotes, backslash, slash and control characters; other bytes as
    they are."""
    out = bytearray(b'"')
    for ch in s:
        e = _JSON_ESCAPES.get(ch)
        if e is not None:
            out += e
        elif ch < 0x20 or ch == 0x7F:
            out += b"\\u%04x" % ch
        else:
            out.append(ch)
    out += b'"'
    return bytes(out)


def _json_error(text: str, e) -> bytes:
    """Lua CJSON's wording for the common decoding errors."""
    pos = e.pos + 1
    rest = text[e.pos:]
    if not rest:
        found = "T_END"
    elif rest[0] in "]}":
        found = "T_ARR_END" if rest[0] == "]" else "T_OBJ_END"
    elif rest[0] == ",":
        found = "T_COMMA"
    else:
        found = "invalid token"
    msg = e.msg
    if msg.startswith("Expecting ',' delimiter") and text.lstrip()[:1] == "[":
        what = "Expected comma or array end but found %s" % found
    elif msg.startswith("Expecting ',' delimiter"):
        what = "Expected comma or object end but found %s" % found
    elif msg.startswith("Expecting property name"):
        what = "Expected object key string but found %s" % found
    elif msg.startswith("Expecting ':'"):
        what = "Expected colon but found %s" % found
    elif msg.startswith("Extra data"):
        what = "Expected the end but found %s" % found
    else:
        what = "Expected value but found %s" % found
    return ("%s at character %d" % (what, pos)).encode()


def _make_cjson(rt):
    """A ``cjson`` library with Lua CJSON's ``encode`` / ``decode`` behaviour for the common cases
    (tables with keys 1..n are arrays, other tables objects; numbers as ``%.14g``), and its settings
    (``encode_max_depth``, ``decode_max_depth``, ``encode_invalid_numbers`` ...)."""
    lua_type = lupa.lua_type
    null = rt.eval("newproxy()")  # cjson.null: a unique userdata (a lightuserdata in Lua CJSON)
    cfg = {"encode_max_depth": 1000, "decode_max_depth": 1000, "encode_invalid_numbers": False,
           "decode_invalid_numbers": True, "encode_number_precision": 14}

    def number(v) -> bytes:
        if isinstance(v, float) and (math.isinf(v) or math.isnan(v)):
            if not cfg["encode_invalid_numbers"]:
                raise ValueError("Cannot serialise number: must not be NaN or Inf")
            if cfg["encode_invalid_numbers"] == "null":
                return b"null"
            return b"nan" if math.isnan(v) else (b"inf" if v > 0 else b"-inf")
        return b"%.*g" % (cfg["encode_number_precision"], v)

    def enc(v, depth=0):
        if v is None:
            return b"null"
        if v is True:
            return b"true"
        if v is False:
            return b"false"
        if isinstance(v, (int, float)):
            return number(v)
        if isinstance(v, bytes):
            return _json_string(v)
        t = lua_type(v)
        if t == "table":
            depth += 1
            if depth > cfg["encode_max_depth"]:
                raise ValueError("Cannot serialise, excessive nesting (%d)" % depth)
            items = list(v.items())
            if not items:
                return b"{}"
            keys = [k for k, _ in items]
            if all(isinstance(k, (int, float)) and not isinstance(k, bool) and k == int(k) and k >= 1
                   for k in keys):
                n = int(max(keys))
                if n <= len(items) * 2 or n <= 10:
                    d = {int(k): x for k, x in items}
                    return b"[" + b",".join(enc(d.get(i), depth) for i in range(1, n + 1)) + b"]"
                raise ValueError("Cannot serialise table: excessively sparse array")
            parts = []
            for k, x in items:
                if isinstance(k, bytes):
                    ks = k
                elif isinstance(k, (int, float)) and not isinstance(k, bool):
                    ks = number(k)
                else:
                    raise ValueError("Cannot serialise %s: table key must be a number or string"
                                     % ("boolean" if isinstance(k, bool) else lua_type(k)))
                parts.append(_json_string(ks) + b":" + enc(x, depth))
            return b"{" + b",".join(parts) + b"}"
        if t == "userdata" and v == null:
            return b"null"
        raise ValueError("Cannot serialise %s: type not supported" % t)

    def to_lua(v, depth=1):
        if depth > cfg["decode_max_depth"]:
            raise ValueError("Found too many nested data structures (%d)" % depth)
        if v is None:
            return null
        if isinstance(v, str):
            try:
                return v.encode("latin-1")
            except UnicodeEncodeError:
                return v.encode("utf-8")
        if isinstance(v, (bool, int, float)):
            return v
        if isinstance(v, list):
            return rt.table_from({i + 1: to_lua(x, depth + 1) for i, x in enumerate(v)})
        if isinstance(v, dict):
            return rt.table_from({to_lua(k, depth + 1): to_lua(x, depth + 1) for k, x in v.items()})
        return v

    def encode(*a):
        if len(a) != 1:
            raise ScriptRaise(b"bad argument #1 to 'encode' (expected 1 argument)", True)
        try:
            return enc(a[0])
        except (ValueError, RecursionError) as e:
            raise ScriptRaise(str(e).encode(), True) from None

    def decode(*a):
        if len(a) != 1 or not isinstance(a[0], (bytes, int, float)) or isinstance(a[0], bool):
            raise ScriptRaise(b"bad argument #1 to 'decode' (string expected, got no value)", True)
        data = a[0] if isinstance(a[0], bytes) else (b"%.14g" % a[0])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            text = data.decode("latin-1")
        try:
            return to_lua(json.loads(text))
        except json.JSONDecodeError as e:
            raise ScriptRaise(_json_error(text, e), True) from None
        except (ValueError, RecursionError) as e:
            raise ScriptRaise(str(e).encode(), True) from None

    def setting(name, kind):
        def f(*a):
            if a:
                v = a[0]
                if kind == "int":
                    cfg[name] = int(v)
                elif v == b"null":
                    cfg[name] = "null"
                else:
                    cfg[name] = bool(v) and v != b"off"
            return cfg.get(name)

        return f

    return rt.table_from({
        b"encode": encode,
        b"decode": decode,
        b"null": null,
        b"encode_max_depth": setting("encode_max_depth", "int"),
        b"decode_max_depth": setting("decode_max_depth", "int"),
        b"encode_invalid_numbers": setting("encode_invalid_numbers", "bool"),
        b"decode_invalid_numbers": setting("decode_invalid_numbers", "bool"),
        b"encode_number_precision": setting("encode_number_precision", "int"),
        b"encode_keep_buffer": setting("encode_keep_buffer", "bool"),
        b"encode_sparse_array": setting("encode_sparse_array", "bool"),
    })


# -- cmsgpack (lua-cmsgpack's format choices) ---------------------------------------------------------

_MP_ENCODER = r"""
local host = ...
local char, byte, concat, type, next = string.char, string.byte, table.concat, type, next
local mp_number = host.mp_number
local function is_array(t)
  local count, max = 0, 0
  for k in next, t do
    if type(k) ~= "number" or k <= 0 or k ~= math.floor(k) then return false end
    count = count + 1
    if k > max then max = k end
  end
  return max == count, count
end
local function header(n, fix, small, c16, c32)
  if n < small then return char(fix + n) end
  if n <= 0xffff then return c16 .. char(math.floor(n / 256), n % 256) end
  return c32 .. char(math.floor(n / 16777216) % 256, math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end
local encode
encode = function(v, level, out)
  local t = type(v)
  if t == "table" and level == 16 then t = "nil" end
  if t == "string" then
    local n = #v
    if n < 32 then out[#out + 1] = char(0xa0 + n)
    elseif n <= 0xff then out[#out + 1] = "\217" .. char(n)
    else out[#out + 1] = header(n, 0, 0, "\218", "\219") end
    out[#out + 1] = v
  elseif t == "boolean" then out[#out + 1] = v and "\195" or "\194"
  elseif t == "number" then out[#out + 1] = mp_number(v)
  elseif t == "table" then
    local arr, n = is_array(v)
    if arr then
      out[#out + 1] = header(n, 0x90, 16, "\220", "\221")
      for i = 1, n do encode(v[i], level + 1, out) end
    else
      n = 0
      for _ in next, v do n = n + 1 end
      out[#out + 1] = header(n, 0x80, 16, "\222", "\223")
      for k, x in next, v do encode(k, level + 1, out) encode(x, level + 1, out) end
    end
  else out[#out + 1] = "\192" end
end
return function(...)
  local n = select("#", ...)
  if n == 0 then error("MessagePack pack needs input.", 2) end
  local out = {}
  for i = 1, n do encode((select(i, ...)), 0, out) end
  return concat(out)
end
"""


def _mp_number(n) -> bytes:
    """mp_encode_lua_number: integers in the smallest form, other numbers as float32 when exact, else
    float64."""
    if isinstance(n, float):
        if n == n and not math.isinf(n) and n == int(n) and -(1 << 63) <= n < (1 << 63):
            n = int(n)
        else:
            f32 = _to_float32(n)
            if f32 == n or (math.isnan(n) and math.isnan(f32)):
                return b"\xca" + struct.pack(">f", n)
            return b"\xcb" + struct.pack(">d", n)
    if n >= 0:
        if n <= 127:
            return bytes((n,))
        if n <= 0xFF:
            return b"\xcc" + bytes((n,))
        if n <= 0xFFFF:
            return b"\xcd" + struct.pack(">H", n)
        if n <= 0xFFFFFFFF:
            return b"\xce" + struct.pack(">I", n)
        return b"\xcf" + struct.pack(">Q", n)
    if n >= -32:
        return bytes((n & 0xFF,))
    if n >= -128:
        return b"\xd0" + struct.pack(">b", n)
    if n >= -32768:
        return b"\xd1" + struct.pack(">h", n)
    if n >= -2147483648:
        return b"\xd2" + struct.pack(">i", n)
    return b"\xd3" + struct.pack(">q", n)


def _to_float32(n: float) -> float:
    try:
        return struct.unpack(">f", struct.pack(">f", n))[0]
    except OverflowError:
        return float("nan")


class _MPError(ValueError):
    pass


def _make_cmsgpack(rt):
    """The ``cmsgpack`` library: ``pack`` (in Lua, so tables are walked in Lua's order, as
    lua-cmsgpack does), ``unpack``, ``unpack_one``, ``unpack_limit``."""
    pack = rt.execute("return loadstring(...)", _MP_ENCODER.encode(), b"=redis_internal")(
        rt.table_from({b"mp_number": _mp_number}))

    def table(pairs):
        t = rt.table()
        for k, v in pairs:
            if k is not None and v is not None:
                t[k] = v
        return t

    def one(b: bytes, i: int):
        if i >= len(b):
            raise _MPError("Missing bytes in input.")
        c = b[i]
        i += 1

        def take(n):
            nonlocal i
            if i + n > len(b):
                raise _MPError("Missing bytes in input.")
            r = b[i:i + n]
            i += n
            return r

        def seq(n):
            nonlocal i
            out = []
            for _ in range(n):
                v, i = one(b, i)
                out.append(v)
            return out

        def mapping(n):
            nonlocal i
            out = []
            for _ in range(n):
                k, i = one(b, i)
                v, i = one(b, i)
                out.append((k, v))
            return out

        if c <= 0x7F:
            return c, i
        if c >= 0xE0:
            return c - 256, i
        if 0xA0 <= c <= 0xBF:
            return take(c & 0x1F), i
        if 0x90 <= c <= 0x9F:
            return table(enumerate(seq(c & 0x0F), 1)), i
        if 0x80 <= c <= 0x8F:
            return table(mapping(c & 0x0F)), i
        if c == 0xC0:
            return None, i
        if c in (0xC2, 0xC3):
            return c == 0xC3, i
        fixed = {0xCA: ">f", 0xCB: ">d", 0xCC: ">B", 0xCD: ">H", 0xCE: ">I", 0xCF: ">Q", 0xD0: ">b",
                 0xD1: ">h", 0xD2: ">i", 0xD3: ">q"}
        if c in fixed:
            fmt = fixed[c]
            v = struct.unpack(fmt, take(struct.calcsize(fmt)))[0]
            return v, i
        sized = {0xD9: ">B", 0xDA: ">H", 0xDB: ">I", 0xC4: ">B", 0xC5: ">H", 0xC6: ">I"}
        if c in sized:
            fmt = sized[c]
            n = struct.unpack(fmt, take(struct.calcsize(fmt)))[0]
            return take(n), i
        if c in (0xDC, 0xDD):
            n = struct.unpack(">H" if c == 0xDC else ">I", take(2 if c == 0xDC else 4))[0]
            return table(enumerate(seq(n), 1)), i
        if c in (0xDE, 0xDF):
            n = struct.unpack(">H" if c == 0xDE else ">I", take(2 if c == 0xDE else 4))[0]
            return table(mapping(n)), i
        raise _MPError("Bad data format in input.")

    def unpack_full(data, limit=0, offset=0):
        if not isinstance(data, bytes):
            return (None, b"bad argument #1 to 'unpack' (string expected)")
        i = int(offset)
        out = []
        try:
            while i < len(data) and (limit <= 0 or len(out) < limit):
                v, i = one(data, i)
                out.append(v)
        except _MPError as e:
            return (None, str(e).encode())
        return (i, out)

    def unpack(*a):
        if not a:
            raise ScriptRaise(b"MessagePack unpack needs input.", True)
        r = unpack_full(a[0])
        if r[0] is None:
            raise ScriptRaise(r[1], True)
        return tuple(r[1])

    def unpack_limit(data=None, limit=0, offset=0):
        r = unpack_full(data, int(limit or 0), int(offset or 0))
        if r[0] is None:
            raise ScriptRaise(r[1], True)
        nxt = r[0] if r[0] < len(data) else -1
        return (nxt, *r[1])

    return rt.table_from({
        b"pack": pack,
        b"unpack": unpack,
        b"unpack_one": lambda data=None, offset=0: unpack_limit(data, 1, offset),
        b"unpack_limit": unpack_limit,
    })


class ScriptRaise(Exception):
    """Raised by a redis.* function to throw a Lua error *value* (an error table) at the script: lupa
    hands the exception to Lua as the error object, and the message handler unwraps it."""

    def __init__(self, value, positioned: bool = False):
        super().__init__("script error")
        self.value = value
        self.positioned = positioned  # a message that gets the script's "source:line: " (luaL_error)


def _c_function(impl):
    """A Lua function as a C function: ``impl`` returns pcall's (ok, value); a failure is raised."""

    def f(*args):
        r = impl(*args)
        if type(r) is tuple:
            if not r[0]:
                raise ScriptRaise(r[1])
            return r[1] if len(r) > 1 else None
        if not r:
            raise ScriptRaise(None)
        return None

    return f


def _unwrap(e):
    if isinstance(e, ScriptRaise):
        return e.value, e.positioned
    return e, False


class LuaEngine:
    """One Lua state with Redis's API, sandbox and conversions (see the module docstring).

    ``host`` receives the calls the scripts make: ``call(*argv) -> (0, resp) | (1, error text)``,
    ``log(level, text)``, ``setresp(n)``, ``set_repl(flags)``, ``acl_check(*argv)`` and, while a
    library loads, ``register_function(name, callback, description, flags)``."""

    def __init__(self, host, version: str, rand: Rand48 | None = None, functions: bool = False):
        rt = lupa.LuaRuntime(encoding=None, unpack_returned_tuples=True, register_eval=False,
                             register_builtins=False)
        self.runtime = rt
        self.rand = rand if rand is not None else Rand48()
        api = rt.table_from({
            b"call": host.call,
            b"cfunction": _c_function,
            b"unwrap": _unwrap,
            b"log": host.log,
            b"setresp": host.setresp,
            b"set_repl": host.set_repl,
            b"acl_check": host.acl_check,
            b"register_function": host.register_function,
            b"sha1hex": lambda s: hashlib.sha1(s).hexdigest().encode(),
            b"rand": self.rand.random,
            b"randomseed": lambda s: self.rand.seed(int(s)),
            b"version": version.encode(),
            b"version_num": _version_num(version),
            b"bit": _make_bit(rt),
            b"cjson": _make_cjson(rt),
            b"cmsgpack": _make_cmsgpack(rt),
        })
        boot = rt.execute("return loadstring(...)", _BOOT.encode(), b"=redis_internal")
        m = boot(api)
        self._compile = m[b"compile"]
        self._set_vars = m[b"set_vars"]
        self._run = m[b"run"]
        self._to_resp = m[b"to_resp"]
        self._format_error = m[b"format_error"]
        self._error_text = m[b"error_text"]
        self._strings = m[b"strings"]
        self._load_library = None
        if functions:
            rt.execute("return loadstring(...)", _BOOT_FUNCTIONS.encode(), b"=redis_internal")(m, api)
            self._load_library = m[b"load_library"]
        self.hook_lines = m[b"hook_lines"]
        self.error_table = m[b"error_table"]
        self._gc = rt.eval("collectgarbage")
        self._gc(b"collect")  # what building the API left behind
        self.runs = 0

    def compile(self, code: bytes, chunkname: bytes):
        """(function, None) or (None, Lua's error message)."""
        f, err = self._compile(code, chunkname)
        return f, err

    def run(self, f, keys: list, args: list, eval_mode: bool, funcname: bytes, sresp, cresp: int,
            hook=None) -> bytes:
        """Run a compiled script (EVAL: KEYS/ARGV globals; FCALL: two arguments): (its reply as RESP
        bytes, whether that reply is an error to count in the error statistics -- errors of commands
        the script called were counted already).  ``sresp()`` gives the RESP version the script chose."""
        self.runs += 1
        if self.runs % 50 == 0:  # a little garbage collection now and then, as Redis does (LUA_GC_CYCLE_PERIOD)
            self._gc(b"step", 50)
        k = self._strings(*keys)
        a = self._strings(*args)
        if eval_mode:
            self._set_vars(k, a)
            ok, r = self._run(f, hook)
        else:
            ok, r = self._run(f, hook, k, a)
        if ok:
            resp, counted = self._to_resp(r, sresp(), cresp)
            return resp, not counted
        text, counted = self._format_error(r, funcname)
        return text + b"\r\n", not counted

    def load_library(self, f, timeout: float | None = 0.5):
        """Run a library's chunk in load mode: None, or the error text (luaExtractErrorInformation)."""
        ok, e = self._load_library(f, timeout)
        if ok:
            return None
        return self._error_text(e)

    def memory(self) -> int:
        """Bytes the Lua state uses (live data: a full collection first, it is small)."""
        self._gc(b"collect")
        return int(self._gc(b"count") * 1024)
