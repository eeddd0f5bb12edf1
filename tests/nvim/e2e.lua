-- Drives nd-lsp from a real Neovim (0.7+ API only): open a plugin file, wait for diagnostics, apply a
-- quick fix, ask for a completion and a hover, and write what Neovim saw as JSON for pytest to check.
--
-- Environment: ND_E2E_CMD (JSON list: the server command), ND_E2E_ROOT (plugin folder),
-- ND_E2E_FILE (file to open), ND_E2E_OUT (where the JSON report goes).

local out = { steps = {} }
local TIMEOUT = 20000

local function step(name)
  table.insert(out.steps, name)
end

local function codes(bufnr)
  local found = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(found, d.code)
  end
  table.sort(found)
  return found
end

local function find_diagnostic(bufnr, code)
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if d.code == code then
      return d
    end
  end
  return nil
end

local function has_code(bufnr, code)
  return find_diagnostic(bufnr, code) ~= nil
end

-- The diagnostic as the server published it (Neovim keeps the LSP fields in user_data.lsp).
local function to_lsp(d)
  local lsp = d.user_data and d.user_data.lsp or {}
  return {
    range = {
      start = { line = d.lnum, character = d.col },
      ["end"] = { line = d.end_lnum, character = d.end_col },
    },
    severity = d.severity,
    message = d.message,
    source = d.source,
    code = d.code,
    data = lsp.data,
  }
end

local function request(bufnr, client_id, method, params)
  local responses = vim.lsp.buf_request_sync(bufnr, method, params, TIMEOUT)
  local response = responses and responses[client_id]
  if response == nil then
    error(method .. ": no answer")
  end
  if response.err then
    error(method .. ": " .. vim.inspect(response.err))
  end
  return response.result
end

local function find_line(bufnr, needle)
  for index, line in ipairs(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)) do
    local column = line:find(needle, 1, true)
    if column then
      return index - 1, column - 1
    end
  end
  error("no line contains " .. needle)
end

local function main()
  local file, root = os.getenv("ND_E2E_FILE"), os.getenv("ND_E2E_ROOT")
  vim.cmd("edit " .. vim.fn.fnameescape(file))
  local bufnr = vim.api.nvim_get_current_buf()
  local uri = vim.uri_from_bufnr(bufnr)
  out.nvim_version = tostring(vim.version().major) .. "." .. tostring(vim.version().minor)

  local client_id = vim.lsp.start_client({
    name = "nd-lsp",
    cmd = vim.json.decode(os.getenv("ND_E2E_CMD")),
    root_dir = root,
    init_options = { debounceMs = 50 },
  })
  assert(client_id, "the server did not start")
  vim.lsp.buf_attach_client(bufnr, client_id)
  step("started")

  assert(vim.wait(TIMEOUT, function() return #vim.diagnostic.get(bufnr) > 0 end, 50), "no diagnostics")
  out.diagnostics = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(out.diagnostics, {
      code = d.code, source = d.source, severity = d.severity, message = d.message,
      lnum = d.lnum, col = d.col, end_col = d.end_col,
      text = vim.api.nvim_buf_get_lines(bufnr, d.lnum, d.lnum + 1, false)[1]:sub(d.col + 1, d.end_col),
    })
  end
  step("diagnostics")

  local wrong = find_diagnostic(bufnr, "ND103")
  assert(wrong, "no ND103 diagnostic to fix")
  local lsp_diagnostic = to_lsp(wrong)
  local actions = request(bufnr, client_id, "textDocument/codeAction", {
    textDocument = { uri = uri },
    range = lsp_diagnostic.range,
    context = { diagnostics = { lsp_diagnostic } },
  })
  out.code_actions = {}
  local chosen = nil
  for _, action in ipairs(actions or {}) do
    table.insert(out.code_actions, action.title)
    if chosen == nil or action.isPreferred then
      chosen = action
    end
  end
  assert(chosen and chosen.edit, "no quick fix with an edit")
  vim.lsp.util.apply_workspace_edit(chosen.edit, "utf-16")
  out.fixed_line = vim.api.nvim_buf_get_lines(bufnr, wrong.lnum, wrong.lnum + 1, false)[1]
  assert(vim.wait(TIMEOUT, function() return not has_code(bufnr, "ND103") end, 50), "ND103 stayed after the fix")
  out.codes_after_fix = codes(bufnr)
  step("code action")

  local last = vim.api.nvim_buf_line_count(bufnr)
  local typed = "nd_pdk::register_"
  vim.api.nvim_buf_set_lines(bufnr, last, last, false, { typed })
  local completion = request(bufnr, client_id, "textDocument/completion", {
    textDocument = { uri = uri },
    position = { line = last, character = #typed },
  })
  out.completion = {}
  for _, item in ipairs(completion and (completion.items or completion) or {}) do
    table.insert(out.completion, item.label)
  end
  step("completion")

  local line, column = find_line(bufnr, "delete_by_prefix")
  local hover = request(bufnr, client_id, "textDocument/hover", {
    textDocument = { uri = uri },
    position = { line = line, character = column + 2 },
  })
  out.hover = hover and hover.contents and (hover.contents.value or hover.contents) or vim.NIL
  step("hover")

  vim.lsp.stop_client(client_id)
end

function Run()
  local ok, err = pcall(main)
  if not ok then
    out.error = tostring(err)
  end
  vim.fn.writefile({ vim.json.encode(out) }, os.getenv("ND_E2E_OUT"))
  vim.cmd("qa!")
end
