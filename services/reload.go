package services

// Reload takes a new reading of the service directory: services that are
// new are added (and start, unless marked down or in disabled), services
// that are gone stop and are forgotten once down, and the others take their
// new definition at their next start. It returns the names added and
// removed.
func (s *Supervisor) Reload(defs []*Definition, disabled []string) (added, removed []string, err error) {
	// A service directory may not take the name of an s6-rc source or a
	// bundle, as at boot (LoadTree); nothing changes when one does.
	for _, def := range defs {
		if svc := s.byName[def.Name]; svc != nil && !svc.def.Reloadable {
			return nil, nil, &DefinitionError{Service: def.Name, Problem: "defined twice: as a service directory and as an s6-rc source"}
		}
		if _, ok := s.bundles[def.Name]; ok {
			return nil, nil, &DefinitionError{Service: def.Name, Problem: "defined twice: as a service directory and as a bundle"}
		}
	}
	off := s.disabledSet(disabled)
	seen := make(map[string]bool)
	var fresh []*service
	for _, def := range defs {
		atoms := serviceDirs([]*Definition{def}) // def, then its logger
		for _, d := range atoms {
			seen[d.Name] = true
		}
		if svc := s.byName[def.Name]; svc != nil && !svc.removed {
			s.redefine(svc, def)
			continue
		}
		for _, d := range atoms {
			fresh = append(fresh, s.add(d))
		}
	}
	if err := s.connect(); err != nil {
		return nil, nil, err
	}
	for _, svc := range fresh {
		o := owner(svc)
		svc.want = !o.def.Down && !off[o.def.Name]
		if svc.producer == nil {
			added = append(added, svc.def.Name)
		}
	}
	for _, svc := range s.services {
		if svc.def.Reloadable && !seen[svc.def.Name] && !svc.removed {
			svc.removed = true
			s.unwant(svc)
			if svc.producer == nil {
				removed = append(removed, svc.def.Name)
			}
		}
	}
	s.link()
	s.reconcile()
	return added, removed, nil
}

// redefine gives svc its new definition; a logger added or removed with
// it is left for the next container start, since its pipe is held open for
// as long as vigil runs.
func (s *Supervisor) redefine(svc *service, def *Definition) {
	oldLog := svc.def.Log
	svc.def = def
	if svc.logger != nil && def.Log != nil {
		svc.logger.def = def.Log
	}
	if (oldLog == nil) != (def.Log == nil) {
		s.log.Warn("service log/ changed: takes effect at the next container start", "service", def.Name)
		svc.def.Log = oldLog
	}
}

// forget drops the services that were removed and are now fully down.
func (s *Supervisor) forget() {
	kept := s.services[:0]
	for _, svc := range s.services {
		if svc.removed && svc.state == StateDown && !s.hasChildren(svc) {
			delete(s.byName, svc.def.Name)
			if svc.feed != nil {
				svc.feed.Close()
			}
			if svc.stdin != nil {
				svc.stdin.Close()
			}
			continue
		}
		kept = append(kept, svc)
	}
	if len(kept) != len(s.services) {
		s.services = kept
		s.link()
	}
}
