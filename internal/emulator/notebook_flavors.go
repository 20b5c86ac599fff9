package emulator

import (
	"net/http"
	"slices"
)

// notebookFlavor is a NotebookFlavor of the new API.
type notebookFlavor struct {
	id, name, description string
	arch, category        string // x86_64 | aarch64; CPU | GPU
	feature               string // NOTEBOOK | DEFAULT
	free, soldOut         bool
	vcpus                 int
	memory                int64 // KiB, as the samples read (§9.13)
	storages              []string
	billingCode           string
	unitNum               int
	gpu                   *wireGPU
}

// wireGPU is a flavor's GPUInfo.
type wireGPU struct {
	GPU       int    `json:"gpu"`
	GPUMemory string `json:"gpu_memory"`
	Type      string `json:"type"`
}

// wireFlavor is a NotebookFlavor on the wire.
type wireFlavor struct {
	Arch        string      `json:"arch"`
	Billing     wireBilling `json:"billing"`
	Category    string      `json:"category"`
	Description string      `json:"description"`
	Feature     string      `json:"feature"`
	Free        bool        `json:"free"`
	GPU         *wireGPU    `json:"gpu,omitempty"`
	ID          string      `json:"id"`
	Memory      int64       `json:"memory"`
	Name        string      `json:"name"`
	SoldOut     bool        `json:"sold_out"`
	Storages    []string    `json:"storages"`
	VCPUs       int         `json:"vcpus"`
}

type wireBilling struct {
	Code    string `json:"code"`
	UnitNum int    `json:"unit_num"`
}

// flavorCatalog is the new API's flavor catalog, in the order ListFlavors
// answers it. Flavors are region-specific and the reference lists none:
// modelarts.vm.cpu.2u and the two modelarts.bm.snt9 flavors are the
// samples' own; the others are illustrative (inferred) and there for what
// tests need: a second CPU flavor the create page names, the free CodeLab
// flavor the list sample's DEFAULT notebook runs on, a GPU flavor and a
// sold-out one (both named in the old API's samples).
var flavorCatalog = []*notebookFlavor{
	{id: "modelarts.vm.cpu.2u", name: "CPU: 2 vCPUs 8 GB", description: "General-purpose Intel CPU flavor, ideal for rapid data exploration and experiments",
		arch: "x86_64", category: "CPU", feature: "NOTEBOOK", vcpus: 2, memory: 8388608, storages: []string{"EVS", "OBSFS", "EFS", "OBS"},
		billingCode: "modelarts.vm.cpu.2u", unitNum: 1},
	{id: "modelarts.vm.cpu.8u", name: "CPU: 8 vCPUs 32 GB", description: "General computing-plus Intel CPU flavors, ideal for compute-intensive applications",
		arch: "x86_64", category: "CPU", feature: "NOTEBOOK", vcpus: 8, memory: 33554432, storages: []string{"EVS", "OBSFS", "EFS", "OBS"},
		billingCode: "modelarts.vm.cpu.8u", unitNum: 1},
	{id: "modelarts.vm.cpu.free", name: "CPU: 1 vCPUs 4 GB", description: "Free CodeLab flavor for trying things out",
		arch: "x86_64", category: "CPU", feature: "DEFAULT", free: true, vcpus: 1, memory: 4194304, storages: []string{"EVS"},
		billingCode: "modelarts.vm.cpu.free", unitNum: 1},
	{id: "modelarts.bm.gpu.v100NV32", name: "GPU: 1*NVIDIA-V100-NVlink(32GB) | CPU: 8 vCPUs 64 GB", description: "GPU flavor for deep learning training and debugging",
		arch: "x86_64", category: "GPU", feature: "NOTEBOOK", vcpus: 8, memory: 67108864, storages: []string{"EVS", "OBSFS", "EFS", "OBS"},
		billingCode: "modelarts.bm.gpu.v100NV32", unitNum: 1, gpu: &wireGPU{GPU: 1, GPUMemory: "32", Type: "nvidia-v100-nvlink32"}},
	{id: "modelarts.vm.gpu.p4", name: "GPU: 1*NVIDIA-P4(8GB) | CPU: 8 vCPUs 32 GB", description: "GPU flavor for inference development",
		arch: "x86_64", category: "GPU", feature: "NOTEBOOK", soldOut: true, vcpus: 8, memory: 33554432, storages: []string{"EVS", "EFS"},
		billingCode: "modelarts.vm.gpu.p4", unitNum: 1, gpu: &wireGPU{GPU: 1, GPUMemory: "8", Type: "nvidia-p4"}},
	{id: "modelarts.bm.snt9.xlarge.2", name: "CPU: 48vCPUs 192GB", description: "The specification is suitable for deep learning code running and debugging",
		arch: "aarch64", category: "CPU", feature: "NOTEBOOK", vcpus: 48, memory: 201326592, storages: []string{"EFS"},
		billingCode: "modelarts.kat1.xlarge", unitNum: 2},
	{id: "modelarts.bm.snt9.xlarge.8", name: "CPU: 192vCPUs 768GB", description: "The specification is suitable for deep learning code running and debugging",
		arch: "aarch64", category: "CPU", feature: "NOTEBOOK", vcpus: 192, memory: 805306368, storages: []string{"EFS"},
		billingCode: "modelarts.kat1.8xlarge", unitNum: 1},
}

// lookupFlavor returns the catalog's flavor, or nil.
func lookupFlavor(id string) *notebookFlavor {
	for _, f := range flavorCatalog {
		if f.id == id {
			return f
		}
	}
	return nil
}

// render returns the flavor's wire form.
func (f *notebookFlavor) render() wireFlavor {
	return wireFlavor{Arch: f.arch, Billing: wireBilling{Code: f.billingCode, UnitNum: f.unitNum}, Category: f.category,
		Description: f.description, Feature: f.feature, Free: f.free, GPU: f.gpu, ID: f.id, Memory: f.memory, Name: f.name,
		SoldOut: f.soldOut, Storages: slices.Clone(f.storages), VCPUs: f.vcpus}
}

// sortField implements sortable.
func (f *notebookFlavor) sortField(key string) string {
	switch key {
	case "name":
		return f.name
	case "category":
		return f.category
	case "vcpus":
		return sortMillis(int64(f.vcpus))
	case "memory":
		return sortMillis(f.memory)
	}
	return f.id
}

// flavorSortKeys are the sort keys ListFlavors accepts (inferred: the
// reference names none).
var flavorSortKeys = map[string]string{"id": "id", "name": "name", "category": "category", "vcpus": "vcpus", "memory": "memory"}

// switchableTo reports whether a notebook on flavor from with a volume of
// the given category may switch to flavor to: the same architecture and
// feature, and to's storages include the volume's category (inferred; the
// current flavor is among them, as the sample lists what looks like the
// instance's own).
func switchableTo(from, to *notebookFlavor, volume string) bool {
	return from != nil && to.arch == from.arch && to.feature == from.feature && slices.Contains(to.storages, volume)
}

// wireFlavorPage is the flavor lists' answer: the page envelope with the
// flavors under both data and flavors, the two names the reference uses
// (§9.12).
type wireFlavorPage struct {
	wirePage[wireFlavor]
	Flavors []wireFlavor `json:"flavors"`
}

// flavorPage pages the flavors and renders them.
func flavorPage(list []*notebookFlavor, offset, limit int) wireFlavorPage {
	p := pageOf(list, offset, limit)
	out := wireFlavorPage{wirePage: wirePage[wireFlavor]{Current: p.Current, Pages: p.Pages, Size: p.Size, Total: p.Total,
		Data: make([]wireFlavor, len(p.Data))}}
	for i, f := range p.Data {
		out.Data[i] = f.render()
	}
	out.Flavors = slices.Clone(out.Data)
	return out
}

// listFlavors implements GET /v1/{project_id}/notebooks/flavors: the
// catalog, filtered by category (CPU or GPU) and type (MANAGED: every
// flavor; DEDICATED, for dedicated pools: all but the free ones,
// inferred), in catalog order unless sort_key names one of
// flavorSortKeys; offset, and limit (default none).
func (s *Server) listFlavors(w http.ResponseWriter, r *http.Request) {
	q := query{r.URL.Query()}
	category, verr := q.enum("category", "CPU", "GPU")
	var typ string
	if verr == nil {
		typ, verr = q.enum("type", "MANAGED", "DEDICATED")
	}
	var order sortOrder
	if verr == nil && q.str("sort_key") != "" {
		order, verr = q.sort(flavorSortKeys, "")
	}
	var offset, limit int
	if verr == nil {
		offset, limit, verr = q.paging(0)
	}
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	var list []*notebookFlavor
	for _, f := range flavorCatalog {
		if (category == "" || f.category == category) && (typ != "DEDICATED" || !f.free) {
			list = append(list, f)
		}
	}
	if len(order.keys) > 0 {
		slices.SortStableFunc(list, func(a, b *notebookFlavor) int { return order.compare(a, b) })
	}
	writeJSON(w, http.StatusOK, flavorPage(list, offset, limit))
}

// showSwitchableFlavors implements GET
// /v1/{project_id}/notebooks/{id}/flavors: the flavors the notebook may
// switch to (see switchableTo), in any status; offset and limit (default
// none).
func (s *Server) showSwitchableFlavors(w http.ResponseWriter, r *http.Request) {
	offset, limit, verr := query{r.URL.Query()}.paging(0)
	if verr != nil {
		writeNotebookError(w, verr)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	nb := s.targetNotebook(r.PathValue("project_id"), r.PathValue("id"), s.now())
	if nb == nil {
		writeNotebookError(w, errInstanceNotFound)
		return
	}
	from := lookupFlavor(nb.Flavor)
	var list []*notebookFlavor
	for _, f := range flavorCatalog {
		if switchableTo(from, f, nb.Volume.Category) {
			list = append(list, f)
		}
	}
	writeJSON(w, http.StatusOK, flavorPage(list, offset, limit))
}
