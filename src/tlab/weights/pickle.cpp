#include "tlab/weights/pickle.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <map>
#include <unordered_map>
#include <unordered_set>

#include "tlab/core/error.h"

namespace tlab::weights {
namespace {

using Kind = PickleValue::Kind;

// Limits that no state dict comes near; they keep hostile pickles from exhausting memory or stack.
constexpr size_t kMaxObjects = 20'000'000;  // values created by one pickle
constexpr int kMaxDepth = 1000;             // nesting of tuples / lists / dicts
constexpr size_t kMaxDims = 64;             // tensor dimensions
constexpr int64_t kFreeCopyBytes = 64 << 20;  // copies of views beyond twice the storages' size

bool is_container(const PickleValue* v) { return v->is(Kind::kTuple) || v->is(Kind::kList) || v->is(Kind::kDict); }

const std::map<std::string, torch::ScalarType>& storage_types() {
  static const std::map<std::string, torch::ScalarType> types = {
      {"torch.FloatStorage", torch::kFloat32},  {"torch.DoubleStorage", torch::kFloat64},
      {"torch.HalfStorage", torch::kFloat16},   {"torch.BFloat16Storage", torch::kBFloat16},
      {"torch.LongStorage", torch::kInt64},     {"torch.IntStorage", torch::kInt32},
      {"torch.ShortStorage", torch::kInt16},    {"torch.CharStorage", torch::kInt8},
      {"torch.ByteStorage", torch::kUInt8},     {"torch.BoolStorage", torch::kBool},
  };
  return types;
}

// The globals a state dict may name. Anything else is refused.
bool allowed_global(const std::string& name) {
  static const char* const kAllowed[] = {
      "collections.OrderedDict", "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
      "torch._utils._rebuild_parameter_with_state", "torch.Size", "builtins.set", "builtins.frozenset"};
  for (const char* a : kAllowed)
    if (name == a) return true;
  return storage_types().count(name) > 0;
}

class Unpickler {
 public:
  Unpickler(const uint8_t* data, size_t size, size_t offset, const PersistentLoad& pl, const std::string& what)
      : data_(data), size_(size), pos_(offset), persistent_load_(pl), what_(what) {}
  Unpickler(const Unpickler&) = delete;
  Unpickler& operator=(const Unpickler&) = delete;

  // A pickle that failed part-way may hold reference cycles (a list appended to itself) or very
  // deep nesting; emptying every container first frees them without leaks or deep recursion.
  ~Unpickler() {
    if (finished_) return;
    for (auto& c : containers_) {
      c->items.clear();
      c->dict.clear();
    }
  }

  PicklePtr run(size_t* end_offset);

 private:
  // Every value is made here: containers are remembered (see ~Unpickler and check_graph).
  PicklePtr make(Kind k) {
    if (++objects_ > kMaxObjects) fail(str_cat("more than ", kMaxObjects, " objects"));
    auto v = std::make_shared<PickleValue>();
    v->kind = k;
    if (is_container(v.get())) containers_.push_back(v);
    return v;
  }
  void push(PicklePtr v) {
    if (!v) fail("a null object");  // only a persistent_load callback could produce one
    stack_.push_back(std::move(v));
  }
  void check_graph() const;
  [[noreturn]] void fail(const std::string& msg) const {
    throw WeightsError(str_cat("weights file '", what_, "': malformed pickle at byte ", pos_, ": ", msg));
  }
  void need(size_t n) const {
    if (n > size_ - pos_) fail(str_cat("needs ", n, " more bytes, only ", size_ - pos_, " left (truncated?)"));
  }
  uint8_t u8() {
    need(1);
    return data_[pos_++];
  }
  uint64_t le(size_t n) {
    need(n);
    uint64_t v = 0;
    for (size_t k = 0; k < n; ++k) v |= uint64_t(data_[pos_ + k]) << (8 * k);
    pos_ += n;
    return v;
  }
  std::string bytes(uint64_t n) {
    if (n > size_ - pos_) fail(str_cat("a ", n, "-byte string runs past the end"));
    std::string s(reinterpret_cast<const char*>(data_ + pos_), size_t(n));
    pos_ += size_t(n);
    return s;
  }
  std::string line() {
    size_t end = pos_;
    while (end < size_ && data_[end] != '\n') ++end;
    if (end >= size_) fail("unterminated text line");
    std::string s(reinterpret_cast<const char*>(data_ + pos_), end - pos_);
    pos_ = end + 1;
    return s;
  }
  PicklePtr pop() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
    PicklePtr v = stack_.back();
    stack_.pop_back();
    return v;
  }
  PicklePtr& top() {
    if (stack_.empty() || (!marks_.empty() && stack_.size() <= marks_.back())) fail("stack underflow");
    return stack_.back();
  }
  std::vector<PicklePtr> pop_mark() {
    if (marks_.empty()) fail("no MARK on the stack");
    const size_t m = marks_.back();
    marks_.pop_back();
    std::vector<PicklePtr> items(stack_.begin() + long(m), stack_.end());
    stack_.resize(m);
    return items;
  }
  void memo_put(uint64_t key) {
    if (stack_.empty()) fail("memoize with an empty stack");
    if (memo_.size() > 10'000'000) fail("memo too large");
    memo_[key] = stack_.back();
  }
  PicklePtr memo_get(uint64_t key) {
    auto it = memo_.find(key);
    if (it == memo_.end()) fail(str_cat("memo key ", key, " was never stored"));
    return it->second;
  }
  PicklePtr global(const std::string& module, const std::string& name) {
    const std::string full = module + "." + name;
    if (!allowed_global(full))
      throw WeightsError(str_cat("weights file '", what_, "': the pickle references '", full,
                                       "', which a state dict never needs; refusing to load it "
                                       "(TransferLab never runs code from weight files)"));
    auto g = make(Kind::kGlobal);
    g->s = full;
    return g;
  }
  PicklePtr tuple(std::vector<PicklePtr> items) {
    auto t = make(Kind::kTuple);
    t->items = std::move(items);
    return t;
  }
  PicklePtr reduce(const PicklePtr& callable, const PicklePtr& args);
  void set_items(PicklePtr& target, const std::vector<PicklePtr>& kv);
  PicklePtr rebuild_tensor(const std::vector<PicklePtr>& a);

  const uint8_t* data_;
  size_t size_, pos_;
  const PersistentLoad& persistent_load_;
  std::string what_;
  std::vector<PicklePtr> stack_;
  std::vector<size_t> marks_;
  std::unordered_map<uint64_t, PicklePtr> memo_;
  std::vector<PicklePtr> containers_;  // every tuple, list and dict made
  // String keys of each dict -> their index in its items (SETITEM replaces in O(1)).
  std::unordered_map<const PickleValue*, std::unordered_map<std::string, size_t>> dict_keys_;
  size_t objects_ = 0;
  bool finished_ = false;
  // Bytes of the distinct storages tensors were rebuilt from, and of the copies made of them.
  std::unordered_set<const void*> storages_seen_;  // LibTorch StorageImpl pointers
  int64_t storage_bytes_ = 0, copied_bytes_ = 0;
};

// Over every container made: no reference cycles (shared_ptr cycles would leak) and no nesting
// deeper than kMaxDepth (destroying nested values recurses once per level). Iterative DFS.
void Unpickler::check_graph() const {
  std::unordered_map<const PickleValue*, int> depth;  // 0: on the current path; >0: height, done
  struct Frame {
    const PickleValue* v;
    size_t next;
  };
  auto n_children = [](const PickleValue* v) { return v->items.size() + 2 * v->dict.size(); };
  auto child = [](const PickleValue* v, size_t i) -> const PickleValue* {
    if (i < v->items.size()) return v->items[i].get();
    i -= v->items.size();
    return i % 2 == 0 ? v->dict[i / 2].first.get() : v->dict[i / 2].second.get();
  };
  std::vector<Frame> path;
  for (const auto& root : containers_) {
    if (depth.count(root.get())) continue;
    depth[root.get()] = 0;
    path.push_back({root.get(), 0});
    while (!path.empty()) {
      const PickleValue* v = path.back().v;
      if (path.back().next < n_children(v)) {
        const PickleValue* c = child(v, path.back().next++);
        if (!is_container(c)) continue;
        auto it = depth.find(c);
        if (it == depth.end()) {
          depth[c] = 0;
          path.push_back({c, 0});
        } else if (it->second == 0) {
          fail("the pickle builds a reference cycle (a container inside itself), which a state dict never has");
        }
        continue;
      }
      int height = 1;
      for (size_t i = 0; i < n_children(v); ++i)
        if (const PickleValue* c = child(v, i); is_container(c)) height = std::max(height, depth[c] + 1);
      if (height > kMaxDepth) fail(str_cat("containers nested more than ", kMaxDepth, " deep"));
      depth[v] = height;
      path.pop_back();
    }
  }
}

int64_t as_int(const PicklePtr& v, const char* what, const std::string& file) {
  if (!v || !v->is(Kind::kInt)) throw WeightsError(str_cat("weights file '", file, "': ", what, " is not an integer"));
  return v->i;
}

std::vector<int64_t> as_ints(const PicklePtr& v, const char* what, const std::string& file) {
  if (!v || !(v->is(Kind::kTuple) || v->is(Kind::kList)))
    throw WeightsError(str_cat("weights file '", file, "': ", what, " is not a tuple"));
  std::vector<int64_t> out;
  for (const auto& x : v->items) out.push_back(as_int(x, what, file));
  return out;
}

PicklePtr Unpickler::rebuild_tensor(const std::vector<PicklePtr>& a) {
  // _rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
  if (a.size() < 4) fail("_rebuild_tensor_v2 with too few arguments");
  const PicklePtr& storage = a[0];
  if (!storage || !storage->is(Kind::kStorage)) fail("_rebuild_tensor_v2 without a storage");
  const int64_t offset = as_int(a[1], "storage offset", what_);
  const auto sizes = as_ints(a[2], "tensor size", what_);
  const auto strides = as_ints(a[3], "tensor stride", what_);
  if (sizes.size() != strides.size()) fail("tensor size and stride differ in length");
  if (sizes.size() > kMaxDims) fail(str_cat("tensor with more than ", kMaxDims, " dimensions"));
  auto result = make(Kind::kTensor);
  if (!storage->tensor.defined()) return result;  // a placeholder pass (legacy files): no data yet
  const int64_t numel_storage = storage->tensor.numel();
  // The furthest element the view touches must lie inside the storage, and the element count
  // must fit int64 (LibTorch would throw its own error type otherwise).
  constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
  int64_t extent = 0, numel = 1;
  bool empty = false;
  for (size_t d = 0; d < sizes.size(); ++d) {
    if (sizes[d] < 0 || strides[d] < 0) fail("negative tensor size or stride");
    if (sizes[d] == 0) {
      empty = true;
      continue;
    }
    if (numel > kMax / sizes[d]) fail(str_cat("tensor of size ", c10::IntArrayRef(sizes), " has too many elements"));
    numel *= sizes[d];
    if (strides[d] > 0 && sizes[d] - 1 > (kMax - extent) / strides[d]) fail("tensor extent overflows");
    extent += (sizes[d] - 1) * strides[d];
  }
  if (offset < 0) fail("negative storage offset");
  if (!empty && (offset > numel_storage - 1 || extent > numel_storage - 1 - offset))
    fail(str_cat("tensor of size ", c10::IntArrayRef(sizes), " at offset ", offset, " exceeds its storage of ",
                 numel_storage, " elements"));
  if (empty) {
    result->tensor = torch::empty(sizes, storage->tensor.options());
    return result;
  }
  // The storage may itself be a slice of a larger one (legacy storage views): offsets are relative
  // to it, while as_strided takes an offset into the underlying memory.
  torch::Tensor view = storage->tensor.as_strided(sizes, strides, storage->tensor.storage_offset() + offset);
  // An independent contiguous copy, whose size is bounded by the storage's. A view stays a view
  // of its storage, as torch.load gives it, when copying would let a small file allocate without
  // bound: a broadcast view with more elements than its storage (stride 0, from expand()), or
  // copies beyond twice the size of all storages plus 64 MiB (thousands of tensors on one storage).
  const int64_t elem = int64_t(storage->tensor.element_size());
  const c10::Storage& memory = storage->tensor.storage();  // legacy views: their root storage
  if (storages_seen_.insert(memory.unsafeGetStorageImpl()).second) storage_bytes_ += int64_t(memory.nbytes());
  if (numel <= numel_storage && copied_bytes_ + numel * elem <= 2 * storage_bytes_ + kFreeCopyBytes) {
    copied_bytes_ += numel * elem;
    result->tensor = view.clone(at::MemoryFormat::Contiguous);
  } else {
    result->tensor = view;
  }
  return result;
}

PicklePtr Unpickler::reduce(const PicklePtr& callable, const PicklePtr& args) {
  if (!callable || !callable->is(Kind::kGlobal)) fail("REDUCE on something that is not an allowed global");
  if (!args || !args->is(Kind::kTuple)) fail("REDUCE arguments are not a tuple");
  const std::string& name = callable->s;
  const auto& a = args->items;
  if (name == "collections.OrderedDict") {
    if (!a.empty()) fail("OrderedDict with constructor arguments");
    return make(Kind::kDict);
  }
  if (name == "torch._utils._rebuild_tensor_v2") return rebuild_tensor(a);
  if (name == "torch._utils._rebuild_parameter" || name == "torch._utils._rebuild_parameter_with_state") {
    if (a.empty() || !a[0] || !a[0]->is(Kind::kTensor)) fail("_rebuild_parameter without a tensor");
    return a[0];
  }
  if (name == "torch.Size") return a.empty() ? tuple({}) : a[0];
  if (name == "builtins.set" || name == "builtins.frozenset") {
    auto l = make(Kind::kList);
    if (!a.empty() && a[0] && (a[0]->is(Kind::kList) || a[0]->is(Kind::kTuple))) l->items = a[0]->items;
    return l;
  }
  fail(str_cat("'", name, "' cannot be called"));
}

void Unpickler::set_items(PicklePtr& target, const std::vector<PicklePtr>& kv) {
  if (!target || !target->is(Kind::kDict)) fail("SETITEM(S) on something that is not a dict");
  if (kv.size() % 2) fail("SETITEMS with an odd number of items");
  for (size_t k = 0; k < kv.size(); k += 2) {
    if (kv[k]->is(Kind::kString)) {
      auto& keys = dict_keys_[target.get()];
      if (auto it = keys.find(kv[k]->s); it != keys.end()) {
        target->dict[it->second].second = kv[k + 1];  // a repeated key replaces the value, as in Python
        continue;
      }
      keys.emplace(kv[k]->s, target->dict.size());
    }
    target->dict.emplace_back(kv[k], kv[k + 1]);
  }
}

PicklePtr Unpickler::run(size_t* end_offset) {
  while (true) {
    const uint8_t op = u8();
    switch (op) {
      case 0x80: u8(); break;                       // PROTO
      case 0x95: le(8); break;                      // FRAME (protocol 4+): framing is advisory
      case '.': {                                   // STOP
        PicklePtr result = pop();
        check_graph();
        finished_ = true;
        if (end_offset) *end_offset = pos_;
        return result;
      }
      case '(': marks_.push_back(stack_.size()); break;  // MARK
      case 'N': stack_.push_back(make(Kind::kNone)); break;
      case 0x88: case 0x89: {                        // NEWTRUE / NEWFALSE
        auto v = make(Kind::kBool);
        v->b = op == 0x88;
        stack_.push_back(v);
        break;
      }
      case 'J': case 'K': case 'M': case 0x8a: {    // BININT, BININT1, BININT2, LONG1
        auto v = make(Kind::kInt);
        if (op == 'J') v->i = int32_t(uint32_t(le(4)));
        else if (op == 'K') v->i = u8();
        else if (op == 'M') v->i = int64_t(le(2));
        else {
          const uint8_t n = u8();
          if (n > 8) fail("integer wider than 64 bits");
          uint64_t raw = n ? le(n) : 0;
          if (n && n < 8 && (raw >> (8 * n - 1)) & 1) raw |= ~uint64_t(0) << (8 * n);  // sign-extend
          v->i = int64_t(raw);
        }
        stack_.push_back(v);
        break;
      }
      case 'G': {                                   // BINFLOAT, big-endian double
        need(8);
        uint64_t raw = 0;
        for (int k = 0; k < 8; ++k) raw = (raw << 8) | data_[pos_ + k];
        pos_ += 8;
        auto v = make(Kind::kFloat);
        std::memcpy(&v->f, &raw, 8);
        stack_.push_back(v);
        break;
      }
      case 'X': case 0x8c: case 0x8d: case 'T': case 'U': case 'B': case 'C': case 0x8e: {
        // BINUNICODE(4) SHORT_BINUNICODE(1) BINUNICODE8(8) BINSTRING(4) SHORT_BINSTRING(1) BINBYTES(4)
        // SHORT_BINBYTES(1) BINBYTES8(8)
        const size_t width = (op == 0x8c || op == 'U' || op == 'C') ? 1 : (op == 0x8d || op == 0x8e) ? 8 : 4;
        auto v = make((op == 'B' || op == 'C' || op == 0x8e) ? Kind::kBytes : Kind::kString);
        v->s = bytes(le(width));
        stack_.push_back(v);
        break;
      }
      case ')': stack_.push_back(tuple({})); break;  // EMPTY_TUPLE
      case 't': stack_.push_back(tuple(pop_mark())); break;
      case 0x85: case 0x86: case 0x87: {            // TUPLE1..3
        std::vector<PicklePtr> items(op - 0x84);
        for (size_t k = items.size(); k-- > 0;) items[k] = pop();
        stack_.push_back(tuple(std::move(items)));
        break;
      }
      case ']': stack_.push_back(make(Kind::kList)); break;  // EMPTY_LIST
      case 'l': {                                   // LIST
        auto l = make(Kind::kList);
        l->items = pop_mark();
        stack_.push_back(l);
        break;
      }
      case 'a': {                                   // APPEND
        PicklePtr v = pop();
        PicklePtr& l = top();
        if (!l->is(Kind::kList)) fail("APPEND to something that is not a list");
        l->items.push_back(v);
        break;
      }
      case 'e': {                                   // APPENDS
        auto items = pop_mark();
        PicklePtr& l = top();
        if (!l->is(Kind::kList)) fail("APPENDS to something that is not a list");
        l->items.insert(l->items.end(), items.begin(), items.end());
        break;
      }
      case '}': stack_.push_back(make(Kind::kDict)); break;  // EMPTY_DICT
      case 'd': {                                   // DICT
        auto d = make(Kind::kDict);
        set_items(d, pop_mark());
        stack_.push_back(d);
        break;
      }
      case 's': {                                   // SETITEM
        PicklePtr value = pop(), key = pop();
        set_items(top(), {key, value});
        break;
      }
      case 'u': {                                   // SETITEMS
        auto kv = pop_mark();
        set_items(top(), kv);
        break;
      }
      case 0x8f: stack_.push_back(make(Kind::kList)); break;  // EMPTY_SET
      case 0x90: {                                  // ADDITEMS
        auto items = pop_mark();
        PicklePtr& l = top();
        if (!l->is(Kind::kList)) fail("ADDITEMS to something that is not a set");
        l->items.insert(l->items.end(), items.begin(), items.end());
        break;
      }
      case 'q': memo_put(u8()); break;              // BINPUT
      case 'r': memo_put(le(4)); break;             // LONG_BINPUT
      case 0x94: memo_put(memo_.size()); break;     // MEMOIZE
      case 'h': stack_.push_back(memo_get(u8())); break;   // BINGET
      case 'j': stack_.push_back(memo_get(le(4))); break;  // LONG_BINGET
      case 'c': {                                   // GLOBAL "module\nname\n"
        const std::string module = line();
        const std::string name = line();
        stack_.push_back(global(module, name));
        break;
      }
      case 0x93: {                                  // STACK_GLOBAL
        PicklePtr name = pop(), module = pop();
        if (!name->is(Kind::kString) || !module->is(Kind::kString)) fail("STACK_GLOBAL without strings");
        stack_.push_back(global(module->s, name->s));
        break;
      }
      case 'R': {                                   // REDUCE
        PicklePtr args = pop(), callable = pop();
        stack_.push_back(reduce(callable, args));
        break;
      }
      case 0x81: {                                  // NEWOBJ cls args
        PicklePtr args = pop(), cls = pop();
        stack_.push_back(reduce(cls, args));
        break;
      }
      case 'b': {                                   // BUILD: sets attributes (OrderedDict's _metadata)
        PicklePtr state = pop();
        PicklePtr& obj = top();
        if (!obj->is(Kind::kDict) && !obj->is(Kind::kTensor))
          fail("BUILD on an object that is neither a dict nor a tensor");
        (void)state;  // attributes such as _metadata carry no weights
        break;
      }
      case 'Q': {                                   // BINPERSID
        PicklePtr pid = pop();
        if (!persistent_load_) fail("persistent id outside a PyTorch container");
        push(persistent_load_(pid));
        break;
      }
      case '0': pop(); break;                       // POP
      case '1': pop_mark(); break;                  // POP_MARK
      case '2': stack_.push_back(top()); break;     // DUP
      default:
        fail(str_cat("opcode 0x", std::hex, int(op), std::dec, " is not supported in a state dict"));
    }
    if (stack_.size() > 50'000'000) fail("stack too deep");
  }
}

}  // namespace

torch::ScalarType storage_dtype(const std::string& global_name, const std::string& what) {
  auto it = storage_types().find(global_name);
  if (it == storage_types().end())
    throw WeightsError(str_cat("weights file '", what, "': storage type '", global_name, "' is not supported"));
  return it->second;
}

PicklePtr unpickle(const uint8_t* data, size_t size, const PersistentLoad& persistent_load, const std::string& what,
                   size_t offset, size_t* end_offset) {
  if (offset > size) throw WeightsError(str_cat("weights file '", what, "': pickle offset past the end"));
  Unpickler u(data, size, offset, persistent_load, what);
  return u.run(end_offset);
}

}  // namespace tlab::weights
