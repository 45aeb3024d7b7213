-- numeric.lua: arithmetic, math library and number formatting of the Lua
-- interpreter built by realcode.py (its output is compared with the plain
-- build's). Deterministic: no time, no addresses, no pairs() order.
local function p(...) print(string.format(...)) end

-- integer and float arithmetic, wrap-around, division and modulo
local acc = 0
for i = 1, 200000 do
  acc = (acc * 6364136223846793005 + 1442695040888963407 + i) -- wraps
end
p("lcg %d %x", acc, acc)
for _, a in ipairs({7, -7, 7.5, -7.5, 0x7fffffffffffffff, math.mininteger}) do
  for _, b in ipairs({2, -2, 3.25, -0.5}) do
    p("%s // %s = %s; %s %% %s = %s; %s / %s = %.17g", a, b, a // b, a, b, a % b,
      a, b, a / b)
  end
end
p("bitwise %x %x %x %x %x", 0xF0F0 & 0x0FF0, 0xF0F0 | 0x0F0F, 0xF0F0 ~ 0xFFFF,
  1 << 62, -1 >> 60)

-- math library
local s = 0.0
for i = 1, 50000 do
  local x = i * 0.001
  s = s + math.sin(x) * math.exp(-x) + math.log(x + 1) - math.sqrt(x) / (1 + math.abs(math.cos(x)))
end
p("math sum %.17g", s)
p("floor/ceil %d %d %d %d", math.floor(-3.5), math.ceil(-3.5), math.floor(3.5), math.ceil(3.5))
p("fmod %.17g %.17g tointeger %s %s", math.fmod(7.5, 2), math.fmod(-7, 3),
  math.tointeger(3.0), math.tointeger(3.5))
p("ult %s %s", math.ult(1, -1), math.ult(-1, 1))
math.randomseed(42, 7)
local r = {}
for i = 1, 20 do r[#r + 1] = math.random(1, 1000) end
p("random %s", table.concat(r, ","))
p("float formats %a %.3e %g %g %g", 0.1, 12345.6789, 1e300 * 1e10, -(1e300 * 1e10), 2^53)
p("string to number %s %s %s %s", tonumber("0x1p4"), tonumber("  12  "), tonumber("1e"),
  tonumber("z", 36))

-- mandelbrot
local rows = {}
for y = 0, 39 do
  local line = {}
  for x = 0, 79 do
    local cr, ci = x / 30 - 2.0, y / 20 - 1.0
    local zr, zi, n = 0.0, 0.0, 0
    while n < 200 and zr * zr + zi * zi < 4.0 do
      zr, zi = zr * zr - zi * zi + cr, 2 * zr * zi + ci
      n = n + 1
    end
    line[#line + 1] = string.sub(" .:-=+*#%@", n % 10 + 1, n % 10 + 1)
  end
  rows[#rows + 1] = table.concat(line)
end
print(table.concat(rows, "\n"))

-- n-body (a few steps), spectral norm
local function spectral(n)
  local function A(i, j)
    local ij = i + j - 1
    return 1.0 / (ij * (ij - 1) * 0.5 + i)
  end
  local function Av(x, y, N)
    for i = 1, N do
      local a = 0
      for j = 1, N do a = a + x[j] * A(i, j) end
      y[i] = a
    end
  end
  local function Atv(x, y, N)
    for i = 1, N do
      local a = 0
      for j = 1, N do a = a + x[j] * A(j, i) end
      y[i] = a
    end
  end
  local u, v, t = {}, {}, {}
  for i = 1, n do u[i] = 1 end
  for _ = 1, 10 do
    Av(u, t, n) Atv(t, v, n) Av(v, t, n) Atv(t, u, n)
  end
  local vBv, vv = 0, 0
  for i = 1, n do
    local ui, vi = u[i], v[i]
    vBv, vv = vBv + ui * vi, vv + vi * vi
  end
  return math.sqrt(vBv / vv)
end
p("spectral norm %.17g", spectral(120))

-- sieve and prime sums
local N = 300000
local comp = {}
local count, sum = 0, 0
for i = 2, N do
  if not comp[i] then
    count, sum = count + 1, sum + i
    for j = i * i, N, i do comp[j] = true end
  end
end
p("primes below %d: %d, sum %d", N, count, sum)
