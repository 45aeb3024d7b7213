-- strings.lua: strings, patterns, tables, sorting, closures, coroutines,
-- string.pack and utf8 of the Lua interpreter built by realcode.py.
local function p(...) print(string.format(...)) end

local words = {}
local seed = 12345
local function rnd(n)
  seed = (seed * 1103515245 + 12345) % 2147483648
  return seed % n
end
local syll = {"pa", "ra", "lle", "li", "ze", "loop", "chunk", "dron", "o", "ck"}
for i = 1, 20000 do
  local w = {}
  for _ = 1, 1 + rnd(4) do w[#w + 1] = syll[rnd(#syll) + 1] end
  words[i] = table.concat(w)
end
local text = table.concat(words, " ")
p("text length %d", #text)

-- patterns
local n = 0
for w in text:gmatch("%a+") do if w:find("^pa") then n = n + 1 end end
p("words starting with pa: %d", n)
local replaced, k = text:gsub("(l+)(i?)", function(a, b) return b .. #a end)
p("gsub count %d, length %d, head %q", k, #replaced, replaced:sub(1, 60))
p("upper %s rep %s reverse %s", ("mixed Case"):upper(), ("ab"):rep(3, "-"), ("pydron"):reverse())
p("byte %d %d char %s format %5.2f|%-5d|%05x|%s", ("A"):byte(), ("z"):byte(), string.char(72, 105),
  3.14159, 42, 255, tostring(nil))

-- counting, then printing in sorted order (pairs() order is not stable)
local freq = {}
for _, w in ipairs(words) do freq[w] = (freq[w] or 0) + 1 end
local keys = {}
for w in pairs(freq) do keys[#keys + 1] = w end
table.sort(keys, function(a, b)
  if freq[a] ~= freq[b] then return freq[a] > freq[b] end
  return a < b
end)
for i = 1, 15 do p("%3d %-20s %d", i, keys[i], freq[keys[i]]) end
p("distinct words %d", #keys)

-- sorting numbers and records
local nums = {}
for i = 1, 50000 do nums[i] = rnd(1000000) - 500000 end
table.sort(nums)
local ok = true
for i = 2, #nums do if nums[i - 1] > nums[i] then ok = false end end
p("sorted %s first %d last %d median %d", ok, nums[1], nums[#nums], nums[25000])
table.move(nums, 1, 10, 5)
p("moved %s", table.concat(nums, ",", 1, 14))
table.insert(nums, 1, 7) table.remove(nums, 3)
p("insert/remove %s", table.concat(nums, ",", 1, 6))

-- closures and coroutines
local function counter(step)
  local c = 0
  return function() c = c + step; return c end
end
local c1, c2 = counter(1), counter(7)
for _ = 1, 1000 do c1() c2() end
p("closures %d %d", c1(), c2())
local gen = coroutine.wrap(function()
  local a, b = 0, 1
  for _ = 1, 90 do coroutine.yield(a); a, b = b, a + b end
end)
local fib = {}
for _ = 1, 90 do fib[#fib + 1] = gen() end
p("fib %d %d", fib[50], fib[90])

-- string.pack / utf8
local packed = string.pack("<i4 d s1 z", -123456, 1.5, "abc", "zero")
p("pack %d bytes: %s", #packed, (packed:gsub(".", function(c) return string.format("%02x", c:byte()) end)))
local a, b, c, d = string.unpack("<i4 d s1 z", packed)
p("unpack %d %.2f %s %s", a, b, c, d)
local u = utf8.char(72, 228, 8364, 128512)
p("utf8 len %d codes %s", utf8.len(u), table.concat({utf8.codepoint(u, 1, -1)}, ","))

-- errors and pcall
local okc, err = pcall(function() error({code = 42}) end)
p("pcall %s %d", okc, err.code)
okc, err = pcall(function() return 1 + {} end)
p("pcall %s %s", okc, (err:gsub("^.-:%d+: ", "")))

-- a big table, gc
local big = {}
for i = 1, 200000 do big[i] = i * i % 1000003 end
local total = 0
for i = 1, #big do total = total + big[i] end
big = nil
collectgarbage()
p("big total %d", total)
