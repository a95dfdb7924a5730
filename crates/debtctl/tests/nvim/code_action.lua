-- Neovim's built-in LSP client against `debtctl server`, headless: open a file, wait for
-- the diagnostics, apply the rule's quick fix, and check the buffer and what remains.
-- Written for Neovim 0.7 (Debian 12's), the oldest the test runs on: start_client,
-- buf_attach_client, request_sync and apply_workspace_edit are all there since 0.5-0.7.
-- Environment: DEBTCTL_BIN (the binary), DEBTCTL_FILE (the Python file to open).

local function check(cond, msg)
  if not cond then
    error(msg, 2)
  end
end

local function main()
  local file = os.getenv("DEBTCTL_FILE")
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local client_id = vim.lsp.start_client({
    name = "debtctl",
    cmd = { os.getenv("DEBTCTL_BIN"), "server" },
    root_dir = vim.fn.fnamemodify(file, ":h"),
  })
  check(client_id, "the client did not start")
  vim.lsp.buf_attach_client(bufnr, client_id)

  check(vim.wait(20000, function() return #vim.diagnostic.get(bufnr) == 2 end, 50),
    "expected 2 diagnostics, got " .. vim.inspect(vim.diagnostic.get(bufnr)))
  local by_code = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    by_code[d.user_data.lsp.code] = d
  end
  local legacy = by_code["py/mutable-default-arg"]
  local new = by_code["py/raise-without-from"]
  check(legacy and legacy.severity == vim.diagnostic.severity.HINT, "legacy debt is a hint")
  check(new and new.severity == vim.diagnostic.severity.INFO, "new debt keeps its severity")
  check(new.lnum == 8 and new.col == 8, "new debt at 9:9, got " .. new.lnum .. ":" .. new.col)

  local client = vim.lsp.get_client_by_id(client_id)
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = { start = { line = new.lnum, character = new.col }, ["end"] = { line = new.lnum, character = new.col } },
    context = { diagnostics = {} },
  }
  local response = client.request_sync("textDocument/codeAction", params, 10000, bufnr)
  check(response and response.result, "no code actions: " .. vim.inspect(response))
  local fix
  for _, action in ipairs(response.result) do
    if action.title:match("^py/raise%-without%-from:") then
      fix = action
    end
  end
  check(fix and fix.isPreferred, "no preferred quick fix in " .. vim.inspect(response.result))
  vim.lsp.util.apply_workspace_edit(fix.edit, client.offset_encoding)

  local lines = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  check(lines[8] == "    except KeyError as err:", "line 8: " .. tostring(lines[8]))
  check(lines[9] == '        raise ValueError("missing") from err', "line 9: " .. tostring(lines[9]))

  -- The edit reaches the server as a change; only the legacy finding remains.
  check(vim.wait(20000, function()
    local d = vim.diagnostic.get(bufnr)
    return #d == 1 and d[1].user_data.lsp.code == "py/mutable-default-arg"
  end, 50), "after the fix: " .. vim.inspect(vim.diagnostic.get(bufnr)))
end

local ok, err = pcall(main)
if not ok then
  io.stderr:write("FAIL: " .. tostring(err) .. "\n")
  vim.cmd("cquit 1")
end
io.stderr:write("OK\n")
vim.cmd("qall!")
