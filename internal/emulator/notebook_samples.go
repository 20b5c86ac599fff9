package emulator

import (
	"cmp"
	"time"
)

// The sample notebooks, images and mount of the new API that tests and
// the documentation name.
const (
	// SampleImageID is the built-in image the reference's create sample
	// uses (notebook2.0-mul-kernel-cpu-cp36), the default of AddNotebook.
	SampleImageID = "e1a07296-22a8-4f05-8bc8-e936c8e54090"
	// SampleNotebookID is the RUNNING sample notebook (the reference's
	// create, start and stop samples' ID).
	SampleNotebookID = "f9937afa-4451-42db-a76b-72d624749f66"
	// SampleSSHNotebookID is the RUNNING sample notebook with an SSH
	// endpoint and the mount [SampleMountID].
	SampleSSHNotebookID = "7c6b5a49-3827-4165-9403-f2e1d0c9b8a7"
	// SampleMountID is the reference's mount sample, MOUNTED in
	// [SampleSSHNotebookID].
	SampleMountID = "91dd2d3f-2d92-475f-a375-04636af26cc9"
)

// SampleColleague owns a sample notebook that only the list of all
// users' notebooks shows.
var SampleColleague = User{ID: "2c9e8f7a6b5d4c3e2f1a0b9c8d7e6f5a", Name: "data_scientist"}

// sampleNotebookEpoch is the lease create_at of the reference's create
// sample; the sample notebooks are created a minute apart from it.
var sampleNotebookEpoch = time.UnixMilli(1638841744515)

// sampleSpan is the lease of the RUNNING samples: the longest allowed, so
// that they stay RUNNING for a day of a long-lived emulator.
const sampleSpan = 24 * time.Hour

// SampleNotebooks returns the notebooks a new [Server] holds in
// [SampleProjectID] (unless Options.NoSamples):
//
//	ID                                     name               status         answers the sample of
//	f9937afa-4451-42db-a76b-72d624749f66   notebooks_test     RUNNING        stop, lease, renew, create-image, attach
//	f9937afa-ca78-45b6-bc12-7ecf42553c48   notebook_5ee4bf0e  STOPPED        delete (a DEFAULT notebook, EVS)
//	f9937afa-631e-4a8f-a8f7-3b6c800585f0   notebooks_test     CREATING       show (stays CREATING)
//	936bea3e-d3df-435e-8b58-d817283284ae   notebook-usecase   STOPPED        start (the use case's ID)
//	5f4e3d2c-1b0a-4987-a6b5-c4d3e2f1a0b9   notebook-ascend    STOPPED        switchable flavors (aarch64)
//	7c6b5a49-3827-4165-9403-f2e1d0c9b8a7   notebook-ssh       RUNNING        mounts (SSH endpoint, mount MOUNTED)
//	2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b   notebook-colleague STOPPED        list all ([SampleColleague]'s)
//	8e9f0a1b-2c3d-4e5f-8a7b-6c5d4e3f2a1b   notebook-failed    CREATE_FAILED  -
//	4d5e6f70-8192-4a3b-bc4d-5e6f708192a3   notebook-frozen    FROZEN         - (every change: 6326)
//
// The RUNNING ones have a TIMING lease of 24 hours armed when the server
// is made. Two are named notebooks_test: the new API allows duplicates.
func SampleNotebooks() []Notebook {
	at := func(minutes int) time.Time { return sampleNotebookEpoch.Add(time.Duration(minutes) * time.Minute) }
	efs := Volume{Category: "EFS", Ownership: "MANAGED", Capacity: 50}
	day := Lease{Enable: true, Span: sampleSpan}
	return []Notebook{
		{ID: SampleNotebookID, Name: "notebooks_test", Description: "api-test", Status: NotebookRunning, Flavor: "modelarts.vm.cpu.2u",
			Volume: efs, Lease: day, Token: "3eff13f2-3d70-5456-6dc7-e3f99f562022", CreatedAt: at(0), UpdatedAt: at(2)},
		{ID: "f9937afa-ca78-45b6-bc12-7ecf42553c48", Name: "notebook_5ee4bf0e", Description: "api-test", Status: NotebookStopped,
			Feature: "DEFAULT", Flavor: "modelarts.vm.cpu.free", Volume: Volume{Category: "EVS", Ownership: "MANAGED", Capacity: 50},
			Token: "58ba50c6-e8ff-245c-4840-49e51aa70737", CreatedAt: at(1), UpdatedAt: at(30)},
		{ID: "f9937afa-631e-4a8f-a8f7-3b6c800585f0", Name: "notebooks_test", Description: "api-test", Status: NotebookCreating,
			Volume: efs, Token: "7b22482a-a4cb-4b46-e3b3-6a793a47967e", CreatedAt: at(2)},
		{ID: "936bea3e-d3df-435e-8b58-d817283284ae", Name: "notebook-usecase", Description: "api-test", Status: NotebookStopped,
			Volume: efs, Token: "3452e0d5-15fe-a20d-18a2-010a574aeaaf", CreatedAt: at(3), UpdatedAt: at(60)},
		{ID: "5f4e3d2c-1b0a-4987-a6b5-c4d3e2f1a0b9", Name: "notebook-ascend", Status: NotebookStopped, Flavor: "modelarts.bm.snt9.xlarge.2",
			ImageID: "59a6e9f5-93c0-44dd-85b0-82f390c5d53a", Volume: efs, Token: "a4b3c2d1-0f9e-4d8c-b7a6-f5e4d3c2b1a0", CreatedAt: at(4), UpdatedAt: at(50)},
		{ID: SampleSSHNotebookID, Name: "notebook-ssh", Description: "with SSH access", Status: NotebookRunning, Flavor: "modelarts.vm.cpu.8u",
			ImageID: "278e88d1-5b71-4766-8502-b3ba72e824d9", Volume: Volume{Category: "EVS", Ownership: "MANAGED", Capacity: 100},
			Endpoints: []Endpoint{{Service: "SSH", KeyPairNames: []string{"KeyPair-ops"}, AllowedAccessIPs: []string{"192.0.2.10"}}},
			Lease:     day, Token: "c1d2e3f4-a5b6-4c7d-8e9f-0a1b2c3d4e5f", CreatedAt: at(5), UpdatedAt: at(6),
			Mounts: []Mount{{ID: SampleMountID, Category: "OBSFS", MountPath: "/data/wang/", URI: "obs://authoring-test/wang/", Status: MountMounted}}},
		{ID: "2a3b4c5d-6e7f-4809-9a1b-2c3d4e5f6a7b", Name: "notebook-colleague", Status: NotebookStopped, User: SampleColleague,
			Volume: efs, Token: "d4c3b2a1-9f8e-4d7c-a6b5-e4f3a2b1c0d9", CreatedAt: at(6), UpdatedAt: at(40)},
		{ID: "8e9f0a1b-2c3d-4e5f-8a7b-6c5d4e3f2a1b", Name: "notebook-failed", Status: NotebookCreateFailed, Volume: efs,
			FailReason: failReason(errNoResources, "the sample notebook notebook-failed"),
			Token:      "e5f6a7b8-c9d0-4e1f-a2b3-c4d5e6f7a8b9", CreatedAt: at(7), UpdatedAt: at(9)},
		{ID: "4d5e6f70-8192-4a3b-bc4d-5e6f708192a3", Name: "notebook-frozen", Status: NotebookFrozen, Volume: efs,
			Token: "f6a7b8c9-d0e1-4f2a-b3c4-d5e6f7a8b9c0", CreatedAt: at(8), UpdatedAt: at(20)},
	}
}

// SampleNotebookSecrets returns the secrets the sample notebooks carry as
// ModelArts returns them (their tokens, until a start rotates one), for
// tests that prove a facade never passes them on. The SSH endpoint's
// address (host:port) is not among them: a client needs it to connect, and
// logging in takes the key pair's private key, which ModelArts never holds.
func SampleNotebookSecrets() []string {
	var out []string
	for _, nb := range SampleNotebooks() {
		out = append(out, nb.Token)
	}
	return out
}

// builtinImages are the BUILD_IN images, visible in every project: the
// ones the reference's samples show (the list, show and use-case pages),
// with their values; where a sample leaves a timestamp out, the emulator
// takes the other one (inferred). They are never changed.
var builtinImages = func() map[string]*Image {
	ms := func(n int64) time.Time { return time.UnixMilli(n) }
	list := []Image{
		{ID: SampleImageID, Name: "notebook2.0-mul-kernel-cpu-cp36", Description: "description", Tag: "3.3.2-release_v1",
			SWRPath: "swr.xxxxx.com/atelier/notebook2.0-mul-kernel-cpu-cp36:3.3.2-release_v1", ResourceCategories: []string{"CPU"},
			ServiceType: "COMMON", CreatedAt: ms(1638234504492), UpdatedAt: ms(1638234504492)},
		{ID: "278e88d1-5b71-4766-8502-b3ba72e824d9", Name: "pytorch1.8-cuda10.2-cudnn7-ubuntu18.04",
			Description:        "CPU and GPU general algorithm development and training, preconfigured with AI engine PyTorch1.8",
			Tag:                "pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64-20220926104358-041ba2e",
			SWRPath:            "swr.xxx.com/atelier/pytorch_1_8:pytorch_1.8.0-cuda_10.2-py_3.7-ubuntu_18.04-x86_64-20220926104358-041ba2e",
			ResourceCategories: []string{"GPU", "CPU"}, ServiceType: "COMMON", CreatedAt: ms(1638234504492), UpdatedAt: ms(1638234504492)},
		{ID: "e1a07296-22a8-4f05-8bc8-e936c8e54103", Name: "modelbox1.3.0-libtorch1.9.1-cuda10.2-cudnn8-euler2.9.6",
			Description: "AI inference application development, preconfigured ModelBox and AI engine LibTorch, only SSH connection supported.",
			Tag:         "1.3.0-20221027202714-160a680", SWRPath: "swr.xxx.com/atelier/modelarts-modelbox-libtorch-gpu-x86:1.3.0-20221027202714-160a680",
			DevServices: []string{"AI_FLOW", "SSH"}, ResourceCategories: []string{"GPU"}, ServiceType: "TRAIN",
			CreatedAt: ms(1638841805439), UpdatedAt: ms(1638234504492)},
		{ID: "e1a07296-22a8-4f05-8bc8-e936c8e54100", Name: "tensorflow2.1-cuda10.1-cudnn7-ubuntu18.04",
			Description:        "CPU and GPU general algorithm development and training, preconfigured with AI engine TensorFlow2.1",
			Tag:                "tensorflow_2.1.0-cuda_10.1-py_3.7-ubuntu_18.04-x86_64-20221121111529-d65d817",
			SWRPath:            "swr.com/atelier/tensorflow_2_1:tensorflow_2.1.0-cuda_10.1-py_3.7-ubuntu_18.04-x86_64-20221121111529-d65d817",
			ResourceCategories: []string{"CPU", "GPU"}, ServiceType: "COMMON", CreatedAt: ms(1643166780367), UpdatedAt: ms(1643166780367)},
		{ID: "0b2d0728-4c01-11ec-994f-001a7dda7112", Name: "spark2.4.5-ubuntu18.04",
			Description: "CPU algorithm development and training, preconfigured PySpark 2.4.5 and scala 2.11.12 for code development in local notebook and remote spark cluster including MRS and DLI",
			Tag:         "develop-remote-pyspark_2.4.5-py_3.7-cpu-ubuntu_18.04-x86_64-uid1000-20221222203856-fcc979e",
			SWRPath:     "swr.com/atelier/pyspark_2_4_5:develop-remote-pyspark_2.4.5-py_3.7-cpu-ubuntu_18.04-x86_64-uid1000-20221222203856-fcc979e",
			DevServices: []string{"NOTEBOOK"}, ResourceCategories: []string{"CPU"}, ServiceType: "TRAIN",
			CreatedAt: ms(1648867218663), UpdatedAt: ms(1648867218663)},
		{ID: "59a6e9f5-93c0-44dd-85b0-82f390c5d53a", Name: "tensorflow1.15-mindspore1.7.0-cann5.1.0-euler2.8-aarch64", Arch: "aarch64",
			Description: "ARM algorithm development and training. TensorFlow and MindSpore are preset in the AI engine.",
			Tag:         "5.0.1-c81-20220726", SWRPath: "swr.com/atelier/notebook2.0-mul-kernel-arm-cp37:5.0.1-c81-20220726",
			ServiceType: "TRAIN", CreatedAt: ms(1608937196685), UpdatedAt: ms(1648866992983)},
		{ID: "e1a07296-22a8-4f05-8bc8-e936c8e54088", Name: "mindstudio5.0.rc1-cann5.1.0-euler2.8.3-aarch64", Arch: "aarch64",
			Description: " The professional operator development tool MindStudio is preconfigured, only SSH connection supported.",
			Tag:         "5.0.rc1-20230322101430-75f458a", SWRPath: "swr.com/atelier/mindstudio-modelarts-image:5.0.rc1-20230322101430-75f458a",
			DevServices: []string{"SSH"}, ServiceType: "TRAIN", CreatedAt: ms(1648866993052), UpdatedAt: ms(1648866993052)},
	}
	out := map[string]*Image{}
	for _, img := range list {
		img.Type, img.Namespace, img.Status, img.WorkspaceID = "BUILD_IN", "atelier", ImageActive, "0"
		img.Arch = cmp.Or(img.Arch, "x86_64")
		if img.DevServices == nil {
			img.DevServices = []string{"NOTEBOOK", "SSH"}
		}
		out[img.ID] = &img
	}
	return out
}()

// SampleImages returns the DEDICATED images a new [Server] holds in
// [SampleProjectID] (unless Options.NoSamples): the reference's delete
// sample (mock-service-python, ACTIVE), one of its group sample
// (cnnorth7-infer-model-dev/123) and the use case's failed save
// (tensorflow2_1_1, ERROR). Registering the reference's register sample
// adds its third group.
func SampleImages() []Image {
	ms := func(n int64) time.Time { return time.UnixMilli(n) }
	return []Image{
		{ID: "c9ab2b2f-edda-4556-bdbb-494e868d043c", Name: "mock-service-python", Namespace: "mock-service1", Tag: "0.0.17",
			SWRPath: "swr.xxx.com/mock-service1/mock-service-python:0.0.17", Origin: "CUSTOMIZE", Visibility: "PRIVATE",
			DevServices: []string{"NOTEBOOK", "SSH"}, ResourceCategories: []string{"CPU"}, Size: 387840321,
			CreatedAt: ms(1671093486722), UpdatedAt: ms(1671093486722)},
		{ID: "3c1d2e4f-5a6b-4c7d-8e9f-a0b1c2d3e4f5", Name: "123", Namespace: "cnnorth7-infer-model-dev", Tag: "1.0.0",
			SWRPath: "swr.xxx.com/cnnorth7-infer-model-dev/123:1.0.0", Origin: "CUSTOMIZE", Visibility: "PRIVATE",
			DevServices: []string{"NOTEBOOK", "SSH"}, ResourceCategories: []string{"CPU"}, Size: 1133670676,
			CreatedAt: ms(1652878011643), UpdatedAt: ms(1652878531791)},
		{ID: "836ab55d-4a02-4dbb-b04f-ece555d642a8", Name: "tensorflow2_1_1", Namespace: "hwstaff_pub_cbuinfo_ei", Tag: "1.0.0",
			SWRPath: "swr.com/hwstaff_pub_cbuinfo_ei/tensorflow2_1_1:1.0.0", Origin: "IMAGE_SAVE", Visibility: "PRIVATE",
			DevServices: []string{"NOTEBOOK", "SSH"}, ResourceCategories: []string{"CPU", "GPU"}, ServiceType: "COMMON",
			Size: 5094544544, Status: ImageError, CreatedAt: ms(1664513619044), UpdatedAt: ms(1664513676950)},
	}
}
