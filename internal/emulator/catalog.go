package emulator

// flavor is an entry of the emulator's flavor catalog: what flavor_details
// says about a flavor.
type flavor struct {
	kind   string         // type: "CPU", "GPU" or "ASCEND"
	params map[string]any // free-form, as in the vendor's samples
}

// flavors is the flavor catalog. Flavors are region-specific and the
// reference lists none; these are the ones the reference and the vendor's
// samples name, with parameters in the samples' shape ("CPU" and "GPU" as
// numbers, "gpu_type" and "memory" as strings). Only
// modelarts.bm.gpu.v100NV32's parameters are the vendor's; the others are
// illustrative (inferred), as is the type "ASCEND" (the reference documents
// CPU and GPU only).
var flavors = map[string]flavor{
	"modelarts.vm.cpu.2u":       {kind: "CPU", params: map[string]any{"CPU": 2, "memory": "8GiB"}},
	"modelarts.vm.cpu.8u":       {kind: "CPU", params: map[string]any{"CPU": 8, "memory": "32GiB"}},
	"modelarts.vm.gpu.p4":       {kind: "GPU", params: map[string]any{"CPU": 8, "GPU": 1, "gpu_type": "P4", "memory": "32GiB"}},
	"modelarts.bm.gpu.v100NV32": {kind: "GPU", params: map[string]any{"CPU": 8, "GPU": 1, "gpu_type": "v100NV32", "memory": "64GiB"}},
	"modelarts.kat1.xlarge":     {kind: "ASCEND", params: map[string]any{"CPU": 24, "NPU": 1, "npu_type": "Ascend 310", "memory": "96GiB"}},
}

// profile is an entry of the emulator's profile catalog.
type profile struct {
	id                string // set by profileFor
	name, description string
	kind              string // flavor_type; "" takes the flavor's
	image, tag        string
}

// profiles is the profile catalog: the profile IDs the reference and the
// vendor's samples name. Another profile ID is accepted too (the reference
// lists no values) and gets a generic profile named after it (inferred).
var profiles = map[string]profile{
	"Multi-Engine 1.0 (python3)-gpu":   {name: "Multi-Engine 1.0 (python3)-gpu", description: "multi engine, gpu, python 3.6 for notebook", kind: "GPU", image: "mul-kernel-gpu-cuda-cp36", tag: "2.0.5-B003"},
	"Multi-Engine 1.0 (python3)-cpu":   {name: "Multi-Engine 1.0 (python3)-cpu", description: "multi engine, cpu, python 3.6 for notebook", kind: "CPU", image: "mul-kernel-cpu-cp36", tag: "2.0.5-B003"},
	"Multi-Engine 2.0 (python3)":       {name: "Multi-Engine 2.0 (python3)", description: "multi engine 2.0, python 3.6 for notebook", image: "mul-kernel-cp36", tag: "3.0.0"},
	"Ascend-Power-Engine 1.0(python3)": {name: "Ascend-Power-Engine 1.0(python3)", description: "ascend power engine, python 3.6 for notebook", image: "ascend-kernel-cp36", tag: "1.0.0"},
	"Power-Engine 1.0(python3)":        {name: "Power-Engine 1.0(python3)", description: "power engine, python 3.6 for notebook", image: "power-kernel-cp36", tag: "1.0.0"},
	"Python3-gpu":                      {name: "Python3", description: "multi engine, gpu, python 3.6 for notebook", kind: "GPU", image: "mul-kernel-gpu-cuda-cp36", tag: "2.0.5-B003"},
}

// flavorKind returns the catalog type of a flavor, "CPU" for one outside
// the catalog (an instance given to AddInstance).
func flavorKind(name string) string {
	if f, ok := flavors[name]; ok {
		return f.kind
	}
	return "CPU"
}

// profileFor returns the profile of an instance: the catalog's, or a
// generic one for another ID, or a Multi-Engine one for the flavor's type
// when id is empty. A profile without a flavor type of its own takes the
// flavor's.
func profileFor(id, flavorName string) profile {
	if id == "" { // an instance given to AddInstance without one
		id = "Multi-Engine 1.0 (python3)-cpu"
		if flavorKind(flavorName) == "GPU" {
			id = "Multi-Engine 1.0 (python3)-gpu"
		}
	}
	p, ok := profiles[id]
	if !ok {
		p = profile{name: id, image: "notebook", tag: "latest"}
	}
	if p.kind == "" {
		p.kind = flavorKind(flavorName)
	}
	p.id = id
	return p
}
