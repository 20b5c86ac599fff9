package service

import (
	"context"
	"errors"

	notebookv1 "github.com/devenv-facade/devenv-facade/gen/modelarts/notebook/v1"
)

// TEMPORARY until core's generic wait lands.
var (
	waitMounted   = waitTarget{what: "to be MOUNTED", statuses: []string{"MOUNTED"}}
	waitUnmounted = waitTarget{what: "to be unmounted", statuses: []string{"UNMOUNTED"}, gone: true}
	waitImageActive = waitTarget{what: "to be ACTIVE", statuses: []string{"ACTIVE"}}
)

func (s *Service) waitForMount(ctx context.Context, c *call, project, notebook, id string, t waitTarget) (*notebookv1.StorageMount, error) {
	return nil, errors.New("not yet")
}

func (s *Service) waitForImage(ctx context.Context, c *call, project, id string, t waitTarget) (*notebookv1.Image, error) {
	return nil, errors.New("not yet")
}

func (s *Service) waitForSnapshot(ctx context.Context, c *call, project, id string) (*notebookv1.Notebook, error) {
	return nil, errors.New("not yet")
}
